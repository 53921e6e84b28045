// The workbench's script: small, no build step. Pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // the navigation link of the page shown
  for (const link of document.querySelectorAll("header.top nav a")) {
    if (link.getAttribute("href") === window.location.pathname) {
      link.setAttribute("aria-current", "page");
    }
  }
});
