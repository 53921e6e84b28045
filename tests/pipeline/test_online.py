"""Loading the online export: the corpus's XLSX and CSV against truth, and the odd files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from pipeline.config import Campaign, ExportLimits, ExportMapping
from pipeline.errors import InputError
from pipeline.model import Annex, OnlineRecord
from pipeline.online import OnlineExport, load_online_export
from tests.rulebook import RULES

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
XLSX = SAMPLES / "online" / "export.xlsx"
CSV = SAMPLES / "online" / "export.csv"


@pytest.fixture(scope="module")
def mapping() -> ExportMapping:
    return RULES.export_columns


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return RULES.campaign


@pytest.fixture(scope="module")
def from_xlsx(mapping: ExportMapping) -> OnlineExport:
    return load_online_export(XLSX, mapping)


def _truths() -> list[dict]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((SAMPLES / "truth").glob("*.json"))
        if p.name != "batch.json"
    ]


def _sheet() -> tuple[list[object], list[list[object]]]:
    """The committed XLSX's header and rows, as cells."""
    book = load_workbook(XLSX, read_only=True, data_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    return rows[0], rows[1:]


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def _same_filings(a: tuple[OnlineRecord, ...], b: tuple[OnlineRecord, ...]) -> None:
    """Same filings (ids, annex, fields, time), whatever row each sits on."""
    assert [(r.record_id, r.annex, r.fields, r.submitted_at) for r in a] == [
        (r.record_id, r.annex, r.fields, r.submitted_at) for r in b
    ]


# --- the corpus against truth ------------------------------------------------------------


def test_committed_xlsx_and_gb18030_csv_load_to_the_same_records(
    mapping: ExportMapping, from_xlsx: OnlineExport
) -> None:
    from_csv = load_online_export(CSV, mapping)
    assert from_csv.encoding == "gb18030"
    assert from_xlsx.format == "xlsx" and from_csv.format == "csv"
    assert from_xlsx.records == from_csv.records
    for loaded in (from_xlsx, from_csv):
        assert loaded.problems == ()
        assert loaded.unknown_columns == () and loaded.missing_columns == ()
        assert loaded.header_row == 1
    assert [r.row for r in from_xlsx.records] == list(range(2, 2 + len(from_xlsx.records)))


def _loose(text: object) -> str:
    return re.sub(r"[\s,%]", "", unicodedata.normalize("NFKC", str(text))).casefold()


def _choice_spellings(campaign: Campaign, value: str) -> set[str] | None:
    for source in ("center_types", "setup_modes", "affiliations", "localities", "org_natures"):
        for choice in campaign.choices(source):
            if choice.name == value:
                return {choice.name, *choice.aliases}
    return None


def _assert_format_variant(key: str, loaded: object, truth: object, campaign: Campaign) -> None:
    """A field the export writes differently on purpose: same meaning, loosely compared."""
    if isinstance(truth, list):
        assert isinstance(loaded, list) and set(loaded) == set(truth), key
    elif isinstance(truth, int | float):
        assert float(_loose(loaded)) == pytest.approx(float(truth)), key
    elif (spellings := _choice_spellings(campaign, str(truth))) is not None:
        assert loaded in spellings, key
    else:
        assert _loose(loaded) == _loose(truth), key


def test_every_present_filing_equals_truth(from_xlsx: OnlineExport, campaign: Campaign) -> None:
    truths = _truths()
    assert truths
    present = 0
    for truth in truths:
        online = truth["online"]
        record = from_xlsx.record(online["record_id"])
        if not online["present"]:
            assert record is None, online["record_id"]
            continue
        present += 1
        assert record is not None, online["record_id"]
        assert record.annex is Annex(truth["annex"])
        assert record.submitted_at == online["submitted_at"]
        variants = set(online["format_variants"])
        compared_exactly = 0
        for key, value in online["values"].items():
            assert key in record.fields, (online["record_id"], key)
            if key in variants:
                _assert_format_variant(key, record.fields[key], value, campaign)
            else:
                assert record.fields[key] == value, (online["record_id"], key)
                compared_exactly += 1
        assert compared_exactly > len(online["values"]) // 2  # most fields are written plainly
    assert present == 11
    # the corpus's filing without paper (PAPER_MISSING) is loaded like any other
    assert len(from_xlsx.records) == present + 1


# --- columns added, dropped, reordered, respelled ----------------------------------------


def test_reordered_extra_missing_and_respelled_columns(
    tmp_path: Path, mapping: ExportMapping, from_xlsx: OnlineExport
) -> None:
    header, rows = _sheet()
    drop = header.index("手机")
    order = [i for i in reversed(range(len(header))) if i != drop]
    respelled = {
        "申报类型(试点/认定)": "申报类型（试点／认定）",  # full-width brackets and slash
        "统一社会信用代码": " 统一社会 信用代码 ",  # stray spaces
        "所在市（州）": "所在市州",  # an alias
    }
    new_header = [respelled.get(str(header[i]), header[i]) for i in order] + ["审核状态"]
    new_rows = [[row[i] for i in order] + ["已审核"] for row in rows]
    path = _write_xlsx(tmp_path / "reordered.xlsx", [new_header, *new_rows])

    loaded = load_online_export(path, mapping)

    assert loaded.unknown_columns == ("审核状态",)
    assert loaded.missing_columns == ("mobile",)
    assert loaded.problems == ()
    expected = [
        r.model_copy(update={"fields": {k: v for k, v in r.fields.items() if k != "mobile"}})
        for r in from_xlsx.records
    ]
    _same_filings(loaded.records, tuple(expected))
    assert all("mobile" not in r.fields for r in loaded.records)


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path, mapping: ExportMapping) -> None:
    header, rows = _sheet()
    path = _write_xlsx(
        tmp_path / "titled.xlsx", [["网上申报信息导出（2022年8月1日）"], header, *rows]
    )
    loaded = load_online_export(path, mapping)
    assert loaded.header_row == 2
    assert [r.row for r in loaded.records][:2] == [3, 4]
    assert len(loaded.records) == len(rows)


def test_a_missing_required_column_refuses_the_file(tmp_path: Path, mapping: ExportMapping) -> None:
    header, rows = _sheet()
    keep = [i for i, h in enumerate(header) if h != "申报类型(试点/认定)"]
    path = _write_csv(tmp_path / "no_annex.csv", [[r[i] for i in keep] for r in [header, *rows]])
    with pytest.raises(InputError, match="缺少必需列「申报类型"):
        load_online_export(path, mapping)


# --- encodings and formats -----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_csv_with_or_without_bom(
    tmp_path: Path, mapping: ExportMapping, from_xlsx: OnlineExport, encoding: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.read_bytes().decode("gb18030").encode(encoding))
    loaded = load_online_export(path, mapping)
    assert loaded.encoding == "utf-8-sig"  # strict UTF-8 (a BOM optional) is tried first
    assert loaded.records == from_xlsx.records


def test_json_export_as_list_and_as_records_object(
    tmp_path: Path, mapping: ExportMapping, from_xlsx: OnlineExport
) -> None:
    header, rows = _sheet()
    objects = [dict(zip(header, row, strict=True)) for row in rows]
    members = "成员单位（以；分隔）"
    objects[0][members] = objects[0][members].split("；")  # a JSON list is a list too
    as_list = tmp_path / "export.json"
    as_list.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"records": objects}, ensure_ascii=False), encoding="utf-8")

    for path in (as_list, wrapped):
        loaded = load_online_export(path, mapping)
        assert loaded.format == "json"
        assert loaded.problems == ()
        _same_filings(loaded.records, from_xlsx.records)
        assert [r.row for r in loaded.records][:3] == [1, 2, 3]


def test_a_json_record_that_is_no_object_is_reported(
    tmp_path: Path, mapping: ExportMapping
) -> None:
    header, rows = _sheet()
    items: list[object] = [dict(zip(header, rows[0], strict=True)), "GZ2022-0999"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    loaded = load_online_export(path, mapping)
    assert [r.row for r in loaded.records] == [1]
    (problem,) = loaded.problems
    assert problem.row == 2 and not problem.record_kept and "不是对象" in problem.reason


def test_json_that_is_no_list_of_records_is_refused(tmp_path: Path, mapping: ExportMapping) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"data": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="JSON"):
        load_online_export(path, mapping)


def test_datetime_cells_and_other_time_spellings(tmp_path: Path, mapping: ExportMapping) -> None:
    header, rows = _sheet()
    at = header.index("网上填报提交时间")
    times: list[object] = [
        dt.datetime(2022, 7, 28, 8, 43, 14),  # a real date cell
        "2022/7/28 8:43",
        "2022年7月28日 08时43分14秒",
        "2022-07-28T00:43:14+00:00",  # another zone, converted
    ]
    for row, value in zip(rows, times, strict=False):
        row[at] = value
    path = _write_xlsx(tmp_path / "times.xlsx", [header, *rows[: len(times)]])
    loaded = load_online_export(path, mapping)
    assert [r.submitted_at for r in loaded.records] == [
        "2022-07-28T08:43:14+08:00",
        "2022-07-28T08:43:00+08:00",
        "2022-07-28T08:43:14+08:00",
        "2022-07-28T08:43:14+08:00",
    ]


# --- bad rows are reported, never dropped silently ------------------------------------------


def test_bad_rows_are_reported_with_their_row_numbers(
    tmp_path: Path, mapping: ExportMapping
) -> None:
    header, rows = _sheet()
    rows = [list(r) for r in rows[:6]]
    rows[0][header.index("网上填报提交时间")] = "昨天下午"  # row 2: kept, time unreadable
    rows[1][header.index("申报编号")] = "  "  # row 3: no id
    rows[2][header.index("申报类型(试点/认定)")] = "备案"  # row 4: unknown filing type
    rows[3][header.index("成立时间")] = "2003-13-45"  # row 5: kept, date unreadable
    rows[4][header.index("申报编号")] = rows[5][header.index("申报编号")]  # rows 6, 7: twice
    path = _write_csv(tmp_path / "bad.csv", [header, *rows], encoding="gb18030")

    loaded = load_online_export(path, mapping)

    by_row = {p.row: p for p in loaded.problems}
    assert sorted(by_row) == [2, 3, 4, 5, 7]
    assert by_row[2].column == "网上填报提交时间" and by_row[2].record_kept
    assert "昨天下午" in by_row[2].reason
    assert by_row[3].column == "申报编号" and not by_row[3].record_kept
    assert "申报编号为空" in by_row[3].reason and "empty record id" in by_row[3].reason_en
    assert by_row[4].column == "申报类型(试点/认定)" and "备案" in by_row[4].reason
    assert by_row[5].column == "成立时间" and by_row[5].record_kept
    assert "重复" in by_row[7].reason and "第 6 行" in by_row[7].reason
    assert [r.row for r in loaded.records] == [2, 5, 6]
    kept = {r.row: r for r in loaded.records}
    assert kept[2].submitted_at is None
    assert kept[5].fields["founded"] == "2003-13-45"  # kept as written for the validators


def test_an_empty_cell_is_none_and_a_dropped_column_is_absent(
    tmp_path: Path, mapping: ExportMapping
) -> None:
    header, rows = _sheet()
    rows = [list(rows[0])]
    rows[0][header.index("电子邮箱")] = None
    path = _write_xlsx(tmp_path / "blank.xlsx", [header, *rows])
    (record,) = load_online_export(path, mapping).records
    assert "email" in record.fields and record.fields["email"] is None


# --- files refused as a whole ------------------------------------------------------------------


def _one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ["export.csv", "export.xlsx", "export.json"])
def test_an_empty_file_is_refused(tmp_path: Path, mapping: ExportMapping, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as error:
        load_online_export(path, mapping)
    assert "文件为空" in _one_line(error)


def test_a_workbook_without_rows_is_refused(tmp_path: Path, mapping: ExportMapping) -> None:
    path = _write_xlsx(tmp_path / "blank.xlsx", [])
    with pytest.raises(InputError) as error:
        load_online_export(path, mapping)
    assert "文件为空" in _one_line(error)


def test_files_that_are_no_export_are_refused(tmp_path: Path, mapping: ExportMapping) -> None:
    other = _write_csv(tmp_path / "staff.csv", [["姓名", "部门"], ["张三", "办公室"]])
    with pytest.raises(InputError) as error:
        load_online_export(other, mapping)
    assert "不是网上申报导出文件" in _one_line(error)

    fake = tmp_path / "export.xlsx"
    fake.write_bytes(b"%PDF-1.7 not a workbook")
    with pytest.raises(InputError) as error:
        load_online_export(fake, mapping)
    assert "不是有效的 XLSX" in _one_line(error)

    binary = tmp_path / "export.csv"
    binary.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError) as error:
        load_online_export(binary, mapping)
    assert "不是文本文件" in _one_line(error)


def test_a_missing_file_is_refused(tmp_path: Path, mapping: ExportMapping) -> None:
    with pytest.raises(InputError, match="无法读取文件"):
        load_online_export(tmp_path / "nowhere.xlsx", mapping)


# --- size caps ---------------------------------------------------------------------------------


def _capped(mapping: ExportMapping, **limits: int) -> ExportMapping:
    return mapping.model_copy(
        update={"limits": ExportLimits(**{**mapping.limits.model_dump(), **limits})}
    )


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        ({"max_rows": 5}, "数据行数超过上限 5"),
        ({"max_columns": 10}, "列数超过上限 10"),
        ({"max_file_bytes": 1000}, "超过上限 1000"),
        ({"max_unpacked_bytes": 2000}, "XLSX 解压后体积超过上限"),
    ],
)
def test_size_caps_refuse_the_committed_xlsx(
    mapping: ExportMapping, limits: dict[str, int], says: str
) -> None:
    with pytest.raises(InputError) as error:
        load_online_export(XLSX, _capped(mapping, **limits))
    assert says in _one_line(error)


@pytest.mark.parametrize("limits", [{"max_rows": 5}, {"max_columns": 10}])
def test_size_caps_refuse_csv_and_json(
    tmp_path: Path, mapping: ExportMapping, limits: dict[str, int]
) -> None:
    header, rows = _sheet()
    as_json = tmp_path / "export.json"
    as_json.write_text(
        json.dumps([dict(zip(header, r, strict=True)) for r in rows], ensure_ascii=False),
        encoding="utf-8",
    )
    for path in (CSV, as_json):
        with pytest.raises(InputError, match="超过上限"):
            load_online_export(path, _capped(mapping, **limits))


def test_the_shipped_mapping_carries_the_caps(mapping: ExportMapping) -> None:
    assert mapping.limits.max_rows == 20_000
    assert mapping.limits.max_columns == 200
    assert mapping.limits.max_file_bytes == 50 * 1024 * 1024
