"""The applicant's own electronic copy as DOCX (python-docx): paragraphs and ruled tables."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from pipeline.config import Campaign, FieldSpec, ReadMethod, SectionKind, TemplateSpec
from pipeline.model import Annex, Member
from shenbao_lab.generator.applicant import Applicant
from shenbao_lab.generator.determinism import normalise_zip

TICKED, EMPTY = "☑", "□"


class _Writer:
    def __init__(self, applicant: Applicant, template: TemplateSpec, campaign: Campaign) -> None:
        self.a = applicant
        self.t = template
        self.c = campaign
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(25))
        style = self.doc.styles["Normal"]
        style.font.name = "SimSun"
        style.font.size = Pt(10.5)
        style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    def para(
        self,
        text: str = "",
        *,
        size: float = 10.5,
        bold: bool = False,
        centre: bool = False,
        font: str | None = None,
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        if centre:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        if font:
            run.font.name = font
            run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
        return paragraph

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def options(self, spec: FieldSpec) -> str:
        names = (
            [o.name for o in spec.options]
            if spec.options
            else [o.name for o in self.c.choices(spec.options_from or "")]
        )
        chosen = self.a.values.get(spec.key)
        return "  ".join(f"{TICKED if n == chosen else EMPTY}{n}" for n in names)

    def value(self, key: str) -> str:
        spec = self.t.field(key)
        if spec.method is ReadMethod.CHECKBOX:
            return self.options(spec)
        return self.a.printed.get(key, "")

    def heading(self, section_id: str, *, centre: bool = True, size: float = 14) -> None:
        self.para(
            self.t.section(section_id).heading, size=size, bold=True, centre=centre, font="黑体"
        )

    def grid(self, header: list[str] | None, rows: list[list[str]]) -> None:
        table = self.doc.add_table(rows=0, cols=len(rows[0] if rows else header or []))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cells in ([header] if header else []) + rows:
            row = table.add_row()
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text

    # --- pages ---------------------------------------------------------------------

    def cover(self) -> None:
        self.para("附件1" if self.t.annex is Annex.PILOT else "附件2", size=14, font="黑体")
        for _ in range(3):
            self.para()
        for line in self.t.cover_lines:
            self.para(line, size=24, bold=True, centre=True, font="黑体")
        self.para()
        slots = {s.owner: s for s in self.t.seal_slots if s.page == "cover"}
        for key in self.t.page("cover").fields:
            spec = self.t.field(key)
            slot = slots.get(key)  # type: ignore[call-overload]
            label = slot.anchor if slot else spec.label
            self.para(f"{label}：{self.value(key)}", size=12)
        for _ in range(3):
            self.para()
        for line in self.t.footer:
            self.para(line, size=14, centre=True)

    def instructions(self) -> None:
        self.heading("instructions")
        for item in self.t.section("instructions").fixed_text:
            self.para(item, size=12)

    def basic_info(self) -> None:
        self.heading("basic_info")
        self.grid(
            None, [[self.t.field(k).label, self.value(k)] for k in self.t.page("basic_info").fields]
        )

    def members(self) -> None:
        self.heading("members")
        table = self.t.table("members")
        members = [m for m in self.a.values.get("members") or [] if isinstance(m, Member)]
        self.grid(
            [c.label for c in table.columns],
            [[str(i), m.name, m.type, m.uscc] for i, m in enumerate(members, start=1)],
        )

    def narrative(self, page_id: str) -> None:
        for section_id in self.t.page(page_id).sections:
            section = self.t.section(section_id)
            if section.parent is None:
                if page_id.endswith("_1"):
                    self.heading(section_id, centre=False)
                continue
            body = self.a.narratives.get(section_id)
            if body is None:
                continue
            self.para(section.heading, size=12, bold=True, font="黑体")
            self.para("　　" + body)

    def kpis(self) -> None:
        self.heading("kpis", centre=False)
        table = self.t.table("kpis")
        self.grid(
            [c.label for c in table.columns],
            [
                [
                    r.label,
                    self.a.printed.get(f"{r.key}_target", ""),
                    self.a.printed.get(f"{r.key}_actual", ""),
                ]
                for r in table.rows
            ],
        )
        body = self.a.narratives.get("self_eval")
        if body is not None:
            self.heading("self_eval", centre=False)
            self.para("　　" + body)

    def commitment(self) -> None:
        self.heading("commitment")
        for item in self.t.section("commitment").fixed_text:
            self.para("　　" + item, size=12)
        self.para()
        self.para("法定代表人（签字）：", size=12)
        slot = next(s for s in self.t.seal_slots if s.page == "commitment")
        self.para(slot.anchor, size=12).paragraph_format.left_indent = Mm(85)
        self.para(self.a.printed.get("commit_date", ""), size=12).paragraph_format.left_indent = Mm(
            85
        )

    def opinion(self) -> None:
        opinion = self.t.opinion
        self.heading(opinion.section)
        table = self.doc.add_table(rows=1, cols=1)
        table.style = "Table Grid"
        cell = table.rows[0].cells[0]
        cell.text = opinion.heading
        for _ in range(8):
            cell.add_paragraph("")
        cell.add_paragraph(opinion.signature).paragraph_format.left_indent = Mm(85)
        cell.add_paragraph("年    月    日").paragraph_format.left_indent = Mm(90)
        self.para(opinion.note, size=9)

    def attachments(self) -> None:
        self.heading("attachments")
        for i, item in enumerate(self.t.section("attachments").fixed_text, start=1):
            self.para(f"{i}. {item}", size=12)

    def write(self) -> bytes:
        builders = {
            "cover": self.cover,
            "instructions": self.instructions,
            "basic_info": self.basic_info,
            "members": self.members,
            "kpis": self.kpis,
            "commitment": self.commitment,
            "opinion": self.opinion,
            "attachments": self.attachments,
        }
        for i, page in enumerate(self.t.pages):
            if i:
                self.page_break()
            kind = self.t.section(page.sections[0]).kind
            if page.id in builders:
                builders[page.id]()
            elif kind is SectionKind.NARRATIVE:
                self.narrative(page.id)
        props = self.doc.core_properties
        props.title = self.t.title
        props.author = str(self.a.values.get("lead_org") or "")
        props.created = props.modified = props.last_printed = dt.datetime(2022, 8, 1, 9, 0)
        props.revision = 1
        out = io.BytesIO()
        self.doc.save(out)
        return normalise_zip(out.getvalue())


def render_docx(applicant: Applicant, template: TemplateSpec, campaign: Campaign) -> bytes:
    """The DOCX of one applicant's form, byte-identical for the same applicant."""
    return _Writer(applicant, template, campaign).write()
