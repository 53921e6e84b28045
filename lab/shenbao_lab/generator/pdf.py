"""Renders page layouts to a born-digital PDF: real text (TrueType, Identity-H) and rules."""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from shenbao_lab.generator.layout import (
    PAGE_H,
    PAGE_W,
    SYMBOL,
    PageLayout,
    TickBox,
    register_fonts,
    register_symbol_font,
)

ASCENT = 0.88  # of the em: where the baseline sits below the top of a line box
# Word's bold in a face with no bold weight (宋体 has none): the glyphs' outlines are
# stroked as well as filled, this fraction of the size in points wide
FAKE_BOLD = 0.035


def _tick(canvas: Canvas, box: TickBox) -> None:
    s = box.size
    path = canvas.beginPath()
    path.moveTo((box.x + 0.18 * s) * mm, (PAGE_H - box.y - 0.55 * s) * mm)
    path.lineTo((box.x + 0.42 * s) * mm, (PAGE_H - box.y - 0.82 * s) * mm)
    path.lineTo((box.x + 0.86 * s) * mm, (PAGE_H - box.y - 0.16 * s) * mm)
    canvas.setLineWidth(1.1)
    canvas.drawPath(path, stroke=1, fill=0)


def render_pdf(pages: list[PageLayout], *, title: str, author: str = "") -> bytes:
    """A deterministic PDF of the pages (no dates or IDs that vary between runs)."""
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W * mm, PAGE_H * mm), invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("shenbao samples generate")
    for page in pages:
        canvas.setStrokeColorRGB(0, 0, 0)
        if page.shades:  # behind the text they shade (a house page has none)
            for shade in page.shades:
                canvas.setFillGray(shade.grey)
                canvas.rect(
                    shade.x0 * mm,
                    (PAGE_H - shade.y1) * mm,
                    (shade.x1 - shade.x0) * mm,
                    (shade.y1 - shade.y0) * mm,
                    stroke=0,
                    fill=1,
                )
        canvas.setFillColorRGB(0, 0, 0)
        for rule in page.rules:
            canvas.setLineWidth(rule.width)
            canvas.line(
                rule.x0 * mm, (PAGE_H - rule.y0) * mm, rule.x1 * mm, (PAGE_H - rule.y1) * mm
            )
        for text in page.texts:
            if text.font == SYMBOL:
                register_symbol_font()
            canvas.setFont(text.font, text.size)
            baseline = text.y + text.size * 25.4 / 72 * ASCENT
            if text.colour is not None:  # Word's font colour on these words alone
                canvas.setFillColorRGB(*text.colour)
            if text.bold:  # filled and stroked (render mode 2)
                canvas.setLineWidth(FAKE_BOLD * text.size)
                canvas.drawString(text.x * mm, (PAGE_H - baseline) * mm, text.text, mode=2)
            else:
                canvas.drawString(text.x * mm, (PAGE_H - baseline) * mm, text.text)
            if text.colour is not None:
                canvas.setFillColorRGB(0, 0, 0)
        for box in page.boxes:
            if box.mark.glyph_boxes or box.mark.boxless:
                continue  # typed as characters (□ ■ √ ☑ ✔) or none: set with the text
            canvas.setLineWidth(0.6)
            canvas.rect(
                box.x * mm,
                (PAGE_H - box.y - box.size) * mm,
                box.size * mm,
                box.size * mm,
                stroke=1,
                fill=0,
            )
            if box.ticked and box.printed_tick:
                _tick(canvas, box)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
