// The workbench's script: small, no build step. Pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // the navigation link of the page shown
  for (const link of document.querySelectorAll("header.top nav a")) {
    if (link.getAttribute("href") === window.location.pathname) {
      link.setAttribute("aria-current", "page");
    }
  }
  batchFilters();
  submissionPage();
});

// The batch page: a changed filter applies at once.
function batchFilters() {
  const form = document.getElementById("filters");
  if (!form) return;
  for (const input of form.querySelectorAll("select, input[type=checkbox]")) {
    input.addEventListener("change", () => form.submit());
  }
}

// The submission page (and the batch page's own findings, which have no pages): one page shown at a time; a finding chosen (click, j/k, ↓/↑)
// shows its page with its box highlighted; Enter/c confirms it, d dismisses it (with a
// reason), e corrects its field — on the members table one member's cell, its row and
// column chosen in the form — (after a decision the server sends the next open one).
function submissionPage() {
  const findings = Array.from(document.querySelectorAll("li.finding"));
  const figures = Array.from(document.querySelectorAll("figure.page"));
  if (!figures.length && !findings.length) return;
  document.body.classList.add("js");
  let index = -1;

  function showPage(number) {
    for (const figure of figures) {
      figure.classList.toggle("current", figure.dataset.page === String(number));
    }
    for (const tab of document.querySelectorAll("nav.page-tabs a")) {
      tab.classList.toggle("current", tab.dataset.page === String(number));
    }
  }

  function choose(i) {
    if (!findings.length) return;
    index = Math.max(0, Math.min(findings.length - 1, i));
    const item = findings[index];
    for (const other of findings) other.classList.toggle("current", other === item);
    for (const rect of document.querySelectorAll("rect.box")) {
      rect.classList.toggle("current", rect.dataset.finding === item.dataset.finding);
    }
    if (item.dataset.page) showPage(item.dataset.page);
    item.scrollIntoView({ block: "nearest" });
    // the box into the page column's view (the column scrolls, the window stays)
    const box = document.querySelector(`rect.box[data-finding="${item.dataset.finding}"]`);
    const column = document.querySelector(".pages-column");
    if (box && column) {
      const shown = column.getBoundingClientRect();
      const drawn = box.getBoundingClientRect();
      column.scrollTop += drawn.top - shown.top - (shown.height - drawn.height) / 2;
    }
    item.focus({ preventScroll: true });
    history.replaceState(null, "", "#finding-" + item.dataset.finding);
  }

  findings.forEach((item, i) => item.addEventListener("click", () => choose(i)));
  for (const tab of document.querySelectorAll("nav.page-tabs a")) {
    tab.addEventListener("click", (event) => {
      event.preventDefault();
      showPage(tab.dataset.page);
    });
  }

  const note = document.getElementById("keys-note");
  function say(text) {
    if (!note) return;
    note.hidden = false;
    note.textContent = text;
  }

  // a decision on the chosen finding: Enter/c confirms at once; d and e open the reason
  // or value box (Enter there submits, Esc goes back to the findings)
  function decide(key) {
    if (index < 0) {
      const first = findings.findIndex((item) => item.dataset.open === "yes");
      choose(first >= 0 ? first : 0);
      return;
    }
    const item = findings[index];
    if (!item.querySelector("div.decide")) {
      say("您的角色只能查看，不能复核。");
      return;
    }
    if (key === "Enter" || key === "c") {
      item.querySelector("form.confirm").requestSubmit();
    } else if (key === "d") {
      item.querySelector("form.dismiss input[name=reason]").focus();
    } else if (key === "e") {
      // a member's cell not yet chosen: its row first (Tab to the column, then the value)
      const row = item.querySelector("form.correct select[name=row]");
      const box = row && !row.value ? row : item.querySelector("form.correct input[name=value]");
      if (box) box.focus();
      else say("这条问题不是字段的识别结果，不能更正；可确认或驳回。");
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "a" && event.key === "Enter") return; // a focused link opens
    if (tag === "input" || tag === "textarea" || tag === "select" || tag === "button") {
      if (event.key === "Escape" && index >= 0) {
        event.preventDefault();
        event.target.blur();
        findings[index].focus({ preventScroll: true });
      }
      return;
    }
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      choose(index + 1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      choose(index - 1);
    } else if (["Enter", "c", "d", "e"].includes(event.key)) {
      event.preventDefault();
      decide(event.key);
    }
  });

  // a refused decision: its finding chosen again, its reason box ready
  const refused = findings.findIndex((item) => item.classList.contains("chosen"));
  if (refused >= 0) {
    choose(refused);
    return;
  }
  // the finding named in the address (after a reload), else the first page
  const named = window.location.hash.replace("#finding-", "");
  const start = findings.findIndex((item) => item.dataset.finding === named);
  if (start >= 0) choose(start);
  else if (figures.length) showPage(figures[0].dataset.page);
}
