"""report.html and index.html: what reviewers see, escaped, sorted, self-contained."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from pipeline.model import Manifest, ManifestEntry, Report, Seal, Severity
from reports.html import format_value, relative_link, render_index_html, render_report_html
from reports.labels import CODE_LABELS, field_labels
from tests.readers import TEMPLATES
from tests.reports.conftest import (
    HOSTILE,
    electronic_report,
    page_image,
    scan_evidence,
    scan_reports,
)

THRESHOLD = 0.9


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: bytes) -> _Tags:
    parser = _Tags()
    parser.feed(html.decode("utf-8"))
    return parser


def _render(report: Report, **kwargs: object) -> bytes:
    return render_report_html(report, TEMPLATES, review_threshold=THRESHOLD, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["P001.pdf", "P001.docx", "C003.pdf", "C003.docx"])
def test_electronic_copies_render_with_every_field_labelled(name: str) -> None:
    report = electronic_report(name)
    html = _render(report).decode("utf-8")
    labels = field_labels(TEMPLATES, report.annex)
    assert "通过" in html and 'id="findings"' in html
    parsed = _parse(html.encode())
    rows = [attrs["data-key"] for tag, attrs in parsed.tags if tag == "tr" and "data-key" in attrs]
    assert rows == list(report.fields)
    for key in report.fields:
        assert labels[key] in html


def test_a_scan_report_shows_its_findings_crops_and_thumbnails() -> None:
    (report,) = scan_reports()
    crops, thumbnails = scan_evidence()
    html = _render(report, evidence=crops, thumbnails=thumbnails)
    parsed = _parse(html)
    assert "不通过" in "".join(parsed.text)
    codes = [a["data-code"] for tag, a in parsed.tags if tag == "tr" and "data-code" in a]
    assert sorted(codes) == sorted(f.code.value for f in report.findings)
    images = [a["src"] for tag, a in parsed.tags if tag == "img"]
    assert len(images) == len(crops) + len(thumbnails)
    assert all(src and src.startswith("data:image/png;base64,") for src in images)
    assert "校验位不正确" in html.decode()


def test_every_finding_kind_renders_sorted_by_severity(hand_built: Report) -> None:
    html = _render(hand_built, evidence={}, thumbnails={1: b"\x89PNG"})
    parsed = _parse(html)
    rows = [a for tag, a in parsed.tags if tag == "tr" and "data-code" in a]
    assert len(rows) == len(hand_built.findings)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    severities = [order[Severity(str(a["class"]).split()[1])] for a in rows]
    assert severities == sorted(severities)
    text = "".join(parsed.text)
    for label in CODE_LABELS.values():
        assert label in text
    assert "纸质材料" in text and "网上填报" in text and "123456.78" in text
    # the DOCX page has no image: its finding shows the text under the box
    assert "上年度营业收入" in text
    assert "页面顺序与模板不符" in text
    assert "需核对" in text  # uscc read at 0.5 < the review threshold
    assert "甲公司（企业，91520000214434146R）" in text


def test_document_text_is_never_markup(hand_built: Report) -> None:
    html = _render(hand_built).decode("utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tags = {tag for tag, _ in _parse(html.encode()).tags}
    assert "script" not in tags
    assert "default-src 'none'" in html  # and no script could run anyway


def test_pages_in_order_show_no_order_table() -> None:
    assert "页面顺序与模板不符" not in _render(electronic_report("P001.pdf")).decode()


def test_rendering_is_deterministic(hand_built: Report) -> None:
    assert _render(hand_built) == _render(hand_built)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "（空）"),
        ("", "（空）"),
        (800.0, "800.00"),
        (11.3, "11.30"),
        (0.125, "0.125"),
        (148, "148"),
        (["a", "b"], "a\nb"),
    ],
)
def test_values_read_as_on_the_form(value: object, shown: str) -> None:
    assert format_value(value) == shown  # type: ignore[arg-type]


def _manifest(reports: list[Report]) -> Manifest:
    files = [
        ManifestEntry(
            file=r.source.file,
            sha256=r.source.sha256,
            size=10,
            state="processed",
            submissions=(r.submission_id,),
        )
        for r in reports
    ]
    files.append(
        ManifestEntry(
            file=f"{HOSTILE}.tif",
            size=3,
            state="quarantined",
            reason=f"无法读取 {HOSTILE}",
            reason_en="unreadable",
        )
    )
    return Manifest(batch="b1", files=tuple(files))


def test_the_index_links_every_report_and_lists_quarantined_files(hand_built: Report) -> None:
    reports = [electronic_report("P001.pdf"), hand_built]
    html = render_index_html(
        _manifest(reports),
        reports,
        relative_link("batches/b1/index.html"),
        lambda r: f"reports/b1/{r.submission_id}/report.html",
        review_threshold=THRESHOLD,
    ).decode()
    parsed = _parse(html.encode())
    links = [a["href"] for tag, a in parsed.tags if tag == "a"]
    assert links == [
        "../../reports/b1/P001-p001-009/report.html",
        "../../reports/b1/hand-p001-002/report.html",
    ]
    assert HOSTILE not in html
    text = "".join(parsed.text)
    assert "隔离文件（1）" in text and f"无法读取 {HOSTILE}" in text
    assert "贵州省特色食品制造业创新中心" in text


def test_the_index_takes_any_link_function(hand_built: Report) -> None:
    signed = 'https://s3.example/b?X-Amz-Signature=abc&x="y"'
    html = render_index_html(
        _manifest([hand_built]),
        [hand_built],
        lambda key: signed,
        lambda r: "k",
        review_threshold=THRESHOLD,
    )
    assert 'href="https://s3.example/b?X-Amz-Signature=abc&amp;x=&#34;y&#34;"' in html.decode()


def test_relative_links_escape_what_a_url_cannot_hold() -> None:
    link = relative_link("batches/b 1/index.html")
    assert link("reports/b 1/s/report.html") == "../../reports/b%201/s/report.html"
    assert relative_link("index.html")("reports/x.html") == "reports/x.html"


def test_a_page_image_is_inlined_not_linked(hand_built: Report) -> None:
    from reports import page_evidence

    crops = page_evidence(hand_built, 1, page_image())
    html = _render(hand_built, evidence=crops).decode()
    assert 'src="evidence/' not in html and html.count("data:image/png;base64,") == len(crops)


def test_a_centre_name_read_unsure_is_marked_in_the_index_and_the_title() -> None:
    """遗州 for 贵州 under a greyscale seal is flagged in report.json; a reviewer scanning
    the index or a report's heading must not take it as read."""
    report = electronic_report("P001.pdf")
    name = report.fields["center_name"]
    unsure = report.model_copy(
        update={
            "fields": report.fields | {"center_name": name.model_copy(update={"confidence": 0.2})}
        }
    )
    index = render_index_html(
        _manifest([unsure]),
        [unsure],
        relative_link("batches/b1/index.html"),
        lambda r: "k",
        review_threshold=THRESHOLD,
    ).decode()
    assert '<span class="unsure"' in index and f"{name.value}（存疑）" in index
    page = render_report_html(unsure, TEMPLATES, review_threshold=THRESHOLD).decode()
    assert f"{name.value}（识别存疑，需人工核对）" in page
    sure = render_index_html(
        _manifest([report]),
        [report],
        relative_link("batches/b1/index.html"),
        lambda r: "k",
        review_threshold=THRESHOLD,
    ).decode()
    assert "（存疑）" not in sure


# Hostile text from the online export and the documents: a bidi override that makes a
# record id display as another's, a NUL, zero-width characters.
SPOOFED = "GZ2022-0\u202e351\u202c"
HIDDEN = ("\u202e", "\u202c", "\x00", "\u200b", "\u200d", "\ufeff", "\u2066")


def _hostile(report: Report) -> Report:
    from pipeline.model import Finding, FindingCode, OnlineMatch

    assert report.online is not None
    lead = report.fields["lead_org"].model_copy(
        update={"value": "甲\u200b公司\x00", "raw": "\ufeff甲"}
    )
    return report.model_copy(
        update={
            "online": OnlineMatch(matched_by="uscc", record_id=SPOOFED),
            "submission_id": "hand\u2066-p001-002",
            "fields": report.fields | {"lead_org": lead},
            "findings": (
                *report.findings,
                Finding.of(
                    FindingCode.FIELD_MISMATCH, "名称\u200d不符", paper="甲\x00", online=SPOOFED
                ),
            ),
        }
    )


def test_hidden_characters_show_as_markers_in_the_report(hand_built: Report) -> None:
    html = _render(_hostile(hand_built))
    text = html.decode("utf-8")
    assert b"\x00" not in html
    assert not [c for c in HIDDEN if c in text]
    assert "GZ2022-0⟨U+202E⟩351⟨U+202C⟩" in text
    assert "甲⟨U+200B⟩公司⟨U+0000⟩" in text and "⟨U+FEFF⟩甲" in text
    assert "名称⟨U+200D⟩不符" in text and "hand⟨U+2066⟩-p001-002" in text


def test_hidden_characters_show_as_markers_in_the_index(hand_built: Report) -> None:
    from pipeline.model import Finding, FindingCode

    report = _hostile(hand_built)
    manifest = _manifest([report])
    quarantined = manifest.files[-1].model_copy(update={"file": "坏\x00文件\u202e.pdf"})
    manifest = manifest.model_copy(update={"files": (*manifest.files[:-1], quarantined)})
    missing = Finding.of(
        FindingCode.PAPER_MISSING, f"网上填报记录 {SPOOFED} 没有纸质材料", key=SPOOFED
    )
    html = render_index_html(
        manifest,
        [report],
        relative_link("batches/b1/index.html"),
        lambda r: "k",
        [missing],
        review_threshold=THRESHOLD,
    )
    text = html.decode("utf-8")
    assert b"\x00" not in html
    assert not [c for c in HIDDEN if c in text]
    assert text.count("GZ2022-0⟨U+202E⟩351⟨U+202C⟩") == 2  # key and message
    assert "坏⟨U+0000⟩文件⟨U+202E⟩.pdf" in text
    assert "hand⟨U+2066⟩-p001-002" in text


def test_the_seal_table_shows_each_seals_colour_and_a_half_seal_at_an_edge(
    hand_built: Report,
) -> None:
    """A blue seal is shown blue; a 骑缝章 running off the right edge is shown as such, in
    place of a slot; a seal recorded before colours were kept shows none."""
    box = hand_built.seals[0].bbox
    report = hand_built.model_copy(
        update={
            "seals": (
                Seal(slot="lead_org_cover", page=1, bbox=box, confidence=0.9, colour="red"),
                Seal(slot=None, page=1, bbox=box, confidence=0.8, colour="blue"),
                Seal(slot=None, page=1, bbox=box, confidence=0.8, colour="red", edge="right"),
                Seal(slot=None, page=1, bbox=box, confidence=0.4),
            )
        }
    )
    html = _render(report).decode("utf-8")
    table = html[html.index('<table class="seals">') :]
    table = table[: table.index("</table>")]
    assert "<th>颜色</th>" in table
    rows = table.split("<tr>")[2:]
    assert "<td>红色</td>" in rows[0] and "（未对应印章位置）" not in rows[0]
    assert "<td>蓝色</td>" in rows[1] and "（未对应印章位置）" in rows[1]
    assert "骑缝章（右边缘）" in rows[2] and "<td>红色</td>" in rows[2]
    assert "<td>（空）</td>" in rows[3]


@pytest.mark.parametrize("name", ["P001.pdf", "C003.pdf"])
def test_a_date_under_a_seal_line_is_shown_by_its_own_name(name: str) -> None:
    """The commitment's and the opinion's dates are read under the seal lines (牵头单位（盖章）,
    推荐单位（盖章）), but they are dates: their rows say so, not the seal's line."""
    report = electronic_report(name)
    labels = field_labels(TEMPLATES, report.annex)
    assert (labels["commit_date"], labels["recommend_date"]) == ("承诺日期", "推荐日期")
    assert labels["lead_org"] in ("牵头单位名称", "运营单位名称")
    html = _render(report).decode("utf-8")
    row = html[html.index('data-key="commit_date"') :]
    row = row[: row.index("</tr>")]
    assert "承诺日期" in row and "（盖章）" not in row
