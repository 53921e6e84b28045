"""The benches' figures as tables on the console (``shenbao bench …``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from shenbao_lab.bench.corpus import Score, Target
    from shenbao_lab.bench.extract import ExtractFigures, FieldOutcome
    from shenbao_lab.bench.finding_figures import FindingFigures
    from shenbao_lab.bench.orchestration import BatchFigures as OrchestrationFigures
    from shenbao_lab.bench.seal_sets import (
        RealFigures,
        SealBenchFigures,
        SealWork,
        StampedFigures,
    )
    from shenbao_lab.bench.seals import SealFigures


def extract_tables(figures: ExtractFigures) -> list[Table]:
    from shenbao_lab.bench.extract import DEGRADATIONS, SOURCE_NAMES

    summary = Table(
        title=f"bench extract: {figures.corpus}, {figures.sources} sources, "
        f"{len(figures.outcomes)} fields (read {figures.read_s:.1f} s, "
        f"extract {figures.extract_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    summary.add_column("result", justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}

    def target(measure: str) -> Text:
        goal = goals.get(measure)
        if goal is None:
            return Text("")
        mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[
            goal.met
        ]
        return Text(f"≥ {goal.goal:.1%} {mark}", style=style)

    summary.add_row("exact, overall", str(figures.overall), "")
    for kind, name in SOURCE_NAMES.items():
        summary.add_row(
            f"exact, {name}", str(figures.by_source[kind.value]), target(f"exact, {name}")
        )
    for degradation in DEGRADATIONS:
        measure = f"exact, {degradation} scans"
        summary.add_row(measure, str(figures.by_degradation[degradation]), target(measure))
    summary.add_row(
        "wrong values flagged (below the review threshold)",
        str(figures.wrong_flagged),
        target("wrong values flagged"),
    )
    summary.add_row("right values falsely flagged", str(figures.right_flagged), "")
    summary.add_row("wrong because not extracted at all", str(figures.unread), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced", Text(", ".join(figures.missing_submissions)), ""
        )

    per_field = Table(title="exact per field", title_justify="left")
    per_field.add_column("field")
    for name in SOURCE_NAMES.values():
        per_field.add_column(name, justify="right")
    for key, row in figures.by_field.items():
        cells = [row.get(kind.value) for kind in SOURCE_NAMES]
        per_field.add_row(
            key,
            *(
                Text("—")
                if score is None
                else Text(f"{score.right}/{score.total}", style="" if score.rate == 1 else "red")
                for score in cells
            ),
        )

    wrong = Table(
        title=f"wrong values read ({len(figures.misread)}; review threshold "
        f"{figures.review_threshold}: below it a value is flagged for review)",
        title_justify="left",
    )
    for column in ("source", "submission", "field", "read", "truth", "confidence"):
        wrong.add_column(column, justify="right" if column == "confidence" else "left")
    for outcome in figures.misread:
        source = SOURCE_NAMES[outcome.source]
        if outcome.degradation:
            source += f" ({'+'.join(outcome.degradation)})"
        wrong.add_row(
            source,
            outcome.submission_id,
            outcome.field,
            Text(f"{_shown(outcome.read)}  ‹{outcome.raw}›"),
            Text(_shown(outcome.truth)),
            Text(
                f"{outcome.confidence:.2f} " + ("flagged" if outcome.flagged else "SURE"),
                style="" if outcome.flagged else "red",
            ),
        )

    unread = Table(
        title=f"not extracted though the truth has a value ({figures.unread})",
        title_justify="left",
    )
    unread.add_column("field")
    for name in SOURCE_NAMES.values():
        unread.add_column(name, justify="right")
    unread.add_column("submissions")
    missing: dict[str, list[FieldOutcome]] = {}
    for outcome in figures.wrong:
        if not outcome.extracted:
            missing.setdefault(outcome.field, []).append(outcome)
    for key, outcomes in sorted(missing.items()):
        ids = sorted({o.submission_id for o in outcomes})
        unread.add_row(
            key,
            *(str(sum(o.source is kind for o in outcomes) or "") for kind in SOURCE_NAMES),
            Text(", ".join(ids) if len(ids) <= 3 else f"{len(ids)} submissions"),
        )
    return [summary, *_style_tables(figures), per_field, wrong, unread]


def _style_tables(figures: ExtractFigures) -> list[Table]:
    """Scans by the split of their paper's style family, and by family (issue 17); none
    for a corpus in the generator's own style only."""
    splits = figures.by_split
    if set(splits) <= {"house"}:
        return []
    by_split = _split_table(
        "exact", "tick-box fields", "false warnings / submission", "wrong and sure"
    )
    for split, scores in splits.items():
        by_split.add_row(
            split,
            str(scores.submissions),
            str(scores.exact),
            str(scores.ticks),
            f"{scores.false_warnings_per_submission}",
            Text(str(scores.wrong_unflagged), style="red" if scores.wrong_unflagged else ""),
        )
    by_family = Table(title="scans by style family", title_justify="left")
    for column in ("family", "exact", "tick-box fields"):
        by_family.add_column(column, justify="left" if column == "family" else "right")
    for family, row in figures.by_family.items():
        by_family.add_row(family, str(row["exact"]), str(row["ticks"]))
    return [by_split, by_family]


def _split_table(*measures: str) -> Table:
    """A table of scans by the style split of their paper: split, submissions, then the
    ``measures`` (issue 17: the withheld split is the one that counts)."""
    table = Table(
        title="scans by style split (withheld: never tuned on, the figure that counts)",
        title_justify="left",
    )
    table.add_column("split")
    for column in ("submissions", *measures):
        table.add_column(column, justify="right")
    return table


def _target_cell(goal: Target) -> Text:
    mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[goal.met]
    return Text(f"≥ {goal.goal:.0%} {mark}", style=style)


def _fraction(score: Score) -> Text:
    if not score.total:
        return Text("—")
    return Text(
        f"{score.right}/{score.total} {score.right / score.total:.1%}",
        style="" if score.right == score.total else "yellow",
    )


def seal_tables(figures: SealFigures) -> list[Table]:
    from shenbao_lab.bench.seals import SCANS

    columns = (*SCANS, "all")
    counts = ", ".join(f"{n} {scans}" for scans, n in figures.submissions.items())
    summary = Table(
        title=f"bench seals: {figures.corpus}; scans: {counts} "
        f"(read {figures.read_s:.1f} s, check {figures.check_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    for scans in columns:
        summary.add_column(scans, justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}
    detection = figures.detection
    rows: list[tuple[str, dict[str, Score], str | None]] = [
        (
            "precision (slot)",
            {k: d.precision for k, d in detection.items()},
            "detection precision, colour",
        ),
        ("recall (slot)", {k: d.recall for k, d in detection.items()}, "detection recall, colour"),
        ("precision, in place", {k: d.precision_in_place for k, d in detection.items()}, None),
        ("recall, in place", {k: d.recall_in_place for k, d in detection.items()}, None),
        ("owner match (decided)", figures.owner_match, "owner match"),
        ("owner undecided", figures.owner_undecided, None),
        ("recommendation decisions", figures.recommendation_decisions, "recommendation decisions"),
    ]
    for measure, cells, goal in rows:
        summary.add_row(
            measure,
            *(_fraction(cells[k]) for k in columns),
            _target_cell(goals[goal]) if goal else "",
        )
    false_missing = {
        scans: sum(
            f.scans == scans and f.code.value == "SEAL_MISSING" and f.verdict == "false"
            for f in figures.findings
        )
        for scans in SCANS
    }
    grey = goals["greyscale scans without a false SEAL_MISSING"]
    mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[grey.met]
    summary.add_row(
        "false SEAL_MISSING",
        *(str(false_missing[k]) for k in SCANS),
        str(sum(false_missing.values())),
        Text(f"0 grey {mark}", style=style),
    )
    if figures.unslotted_seals:
        summary.add_row("seals at no slot (unscored)", "", "", str(figures.unslotted_seals), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced", "", "", Text(", ".join(figures.missing_submissions)), ""
        )

    codes = Table(
        title="seal and recommendation findings (code + slot): precision | recall",
        title_justify="left",
    )
    codes.add_column("code")
    for scans in columns:
        codes.add_column(scans, justify="right")
    codes.add_column("tolerated", justify="right")
    for code in figures.by_code["all"]:
        cells: list[Text] = []
        for scans in columns:
            score = figures.by_code[scans][code]
            cells.append(
                Text(
                    f"{_short(score.precision)} | {_short(score.recall)}",
                    style=""
                    if score.precision.right == score.precision.total
                    and score.recall.right == score.recall.total
                    else "red",
                )
            )
        codes.add_row(code, *cells, str(figures.by_code["all"][code].tolerated or ""))

    wrong = Table(
        title=f"wrong seal and recommendation findings ({len(figures.wrong_findings)})",
        title_justify="left",
    )
    for column in ("submission", "code", "slot", "verdict"):
        wrong.add_column(column)
    for finding in figures.wrong_findings:
        wrong.add_row(
            f"{finding.submission_id} ({finding.scans})",
            finding.code.value,
            finding.slot or "",
            Text(
                "raised, not expected" if finding.verdict == "false" else "expected, not raised",
                style="red",
            ),
        )

    slots = Table(
        title="seal slots not found, out of place, falsely found, or owner not decided right",
        title_justify="left",
    )
    for column in ("submission", "slot", "p.", "truth owner", "read", "owner_match"):
        slots.add_column(column, overflow="fold")
    for slot in figures.slots:
        owner_right = slot.owner_match == slot.expected_owner_match
        if slot.truth and slot.read and slot.in_place and owner_right:
            continue
        if not slot.truth:
            read = Text("FALSE", style="red")
        elif not slot.read:
            read = Text("NOT FOUND", style="red")
        elif not slot.in_place:
            read = Text(f"OUT OF PLACE ‹{slot.read_text}›", style="red")
        else:
            read = Text(f"‹{slot.read_text}›")
        slots.add_row(
            f"{slot.submission_id} ({slot.scans})",
            slot.slot,
            str(slot.page),
            slot.truth_owner or "",
            read,
            Text(
                "" if not slot.read else f"{slot.owner_match}, truth {slot.expected_owner_match}",
                style="" if owner_right or slot.owner_match is None else "red",
            ),
        )

    decisions = Table(title="wrong recommendation decisions", title_justify="left")
    for column in ("submission", "raised", "expected", "tolerated"):
        decisions.add_column(column)
    for decision in figures.decisions:
        if not decision.correct:
            decisions.add_row(
                f"{decision.submission_id} ({decision.scans})",
                ", ".join(decision.read) or "—",
                ", ".join(decision.expected) or "—",
                ", ".join(decision.tolerated) or "—",
            )
    shown = [summary, *_seal_split_tables(figures), codes]
    return [*shown, *(table for table in (wrong, slots, decisions) if table.row_count)]


def _seal_split_tables(figures: SealFigures) -> list[Table]:
    """Scans by the split of their paper's style family (issue 17); none for a corpus in
    the generator's own style only."""
    splits = figures.by_split
    if set(splits) <= {"house"}:
        return []
    table = _split_table(
        "precision (slot)",
        "recall (slot)",
        "owner match (decided)",
        "recommendation decisions",
        "false SEAL_OWNER_MISMATCH",
        "wrong findings",
    )
    for split, row in splits.items():
        table.add_row(
            split,
            str(row.submissions),
            _fraction(row.precision),
            _fraction(row.recall),
            _fraction(row.owner_match),
            _fraction(row.recommendation_decisions),
            Text(str(row.false_owner_mismatch), style="red" if row.false_owner_mismatch else ""),
            str(row.wrong_findings),
        )
    return [table]


def seal_bench_tables(figures: SealBenchFigures) -> list[Table]:
    """``bench seals``: the generated corpus's tables as they were, the real images', the
    augmentation set's, and the seal work per page on each."""
    shown: list[Table] = []
    if figures.generated is not None:
        shown += seal_tables(figures.generated)
    if figures.real is not None:
        shown += real_seal_tables(figures.real)
    if figures.stamped is not None:
        shown += stamped_seal_tables(figures.stamped)
    work = [
        (f"real images ({figures.real.folder})", figures.real.seal_work) if figures.real else None,
        (f"augmentation set ({figures.stamped.corpus})", figures.stamped.seal_work)
        if figures.stamped
        else None,
        (
            f"generated corpus ({figures.generated.corpus}), first scanned pages",
            figures.generated_seal_work,
        )
        if figures.generated and figures.generated_seal_work
        else None,
    ]
    rows = [row for row in work if row is not None]
    if rows:
        shown.append(_seal_work_table(rows))
    return shown


def _seal_work_table(rows: list[tuple[str, SealWork]]) -> Table:
    from shenbao_lab.bench.seal_sets import SEAL_SECONDS_GOAL

    table = Table(
        title="seal work per page (detection + lettering, read_seals)", title_justify="left"
    )
    for column in ("set", "pages", "mean s", "max s", "mean CPU s", "target"):
        table.add_column(column, justify="left" if column == "set" else "right")
    for name, work in rows:
        mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[
            work.met
        ]
        table.add_row(
            name,
            str(work.pages),
            f"{work.mean_s:.3f}",
            f"{work.max_s:.3f}",
            "" if work.cpu_mean_s is None else f"{work.cpu_mean_s:.3f}",
            Text(f"< {SEAL_SECONDS_GOAL} s {mark}", style=style),
        )
    return table


def real_seal_tables(figures: RealFigures) -> list[Table]:
    summary = Table(
        title=f"bench seals, real images: {figures.folder}; {len(figures.images)} images "
        f"(match: centres within half the shorter semi-axis, sizes within 2×)",
        title_justify="left",
    )
    for column in ("measure", "result", "target"):
        summary.add_column(column, justify="left" if column == "measure" else "right")
    for target in figures.targets:
        summary.add_row(target.measure, _fraction(target.score), _target_cell(target))
    summary.add_row("false seals (at no labelled seal)", str(figures.false_seals), "0")
    summary.add_row("found seals reported in their colour", _fraction(figures.colour_right), "")

    kinds = Table(
        title="labelled seals found at their place, per shape and colour", title_justify="left"
    )
    kinds.add_column("shape, colour")
    kinds.add_column("found", justify="right")
    for kind, score in figures.by_kind.items():
        kinds.add_row(kind, _fraction(score))

    images = Table(title="per image", title_justify="left")
    for column in (
        "image",
        "labelled (red)",
        "found at place",
        "false",
        "red reported",
        "s",
        "read",
    ):
        images.add_column(
            column, justify="left" if column in ("image", "read") else "right", overflow="fold"
        )
    for image in figures.images:
        found = sum(s.found is not None for s in image.seals)
        bad = (image.negative and image.found) or (not image.red_expected and image.red_reported)
        images.add_row(
            _image_name(image.file),
            f"{len(image.seals)} ({image.red_expected})",
            Text(
                f"{found}/{len(image.seals)}", style="" if found == len(image.seals) else "yellow"
            ),
            Text(str(image.false), style="red" if image.false else ""),
            Text(str(image.red_reported), style="red" if bad else ""),
            f"{image.seals_s:.2f}",
            Text(
                "; ".join(
                    f"{f.shape} {f.colour}"
                    + (f" ‹{f.text}›" if f.text else "")
                    + ("" if f.matched else " FALSE")
                    for f in image.found
                )
            ),
        )

    owners = Table(title="owners whose text is published", title_justify="left")
    for column in ("seal", "published", "read (ring)", "read (inner)", "exact"):
        owners.add_column(column, overflow="fold")
    for image in figures.images:
        for seal in image.seals:
            if seal.published:
                owners.add_row(
                    f"{_image_name(image.file)} #{seal.number}",
                    " / ".join(seal.published.split(" / ")[:2]),
                    "NOT FOUND" if seal.found is None else f"‹{seal.found.text}›",
                    "" if seal.found is None else f"‹{seal.found.inner}›",
                    Text("yes", style="green") if seal.owner_exact else Text("no", style="red"),
                )
    return [summary, kinds, images, owners]


def stamped_seal_tables(figures: StampedFigures) -> list[Table]:
    summary = Table(
        title=f"bench seals, augmentation set: {figures.corpus}; {len(figures.images)} images, "
        f"{len(figures.stamps)} stamps",
        title_justify="left",
    )
    for column in ("stamps", "recall", "precision", "target"):
        summary.add_column(column, justify="left" if column == "stamps" else "right")
    goals = {t.measure: t for t in figures.targets}
    for group in figures.recall:
        precision = figures.precision.get(group)
        target = ""
        if group == "all":
            recall_goal, precision_goal = goals["detection recall"], goals["detection precision"]
            target = Text.assemble(
                "recall ", _target_cell(recall_goal), ", precision ", _target_cell(precision_goal)
            )
        summary.add_row(
            group,
            _fraction(figures.recall[group]),
            _fraction(precision) if precision is not None else Text("—"),
            target,
        )
    for group, precision in figures.precision.items():
        if group not in figures.recall:  # a shape reported that no stamp has
            summary.add_row(f"{group} (reported)", Text("—"), _fraction(precision), "")
    if figures.owner_exact.total:
        summary.add_row("published owner read exactly", _fraction(figures.owner_exact), "", "")

    missed = Table(title="stamps not found (first 20)", title_justify="left")
    for column in ("image", "background", "case", "shape", "source"):
        missed.add_column(column)
    for stamp in [s for s in figures.stamps if s.found is None][:20]:
        missed.add_row(
            Path(stamp.image).stem,
            stamp.background,
            stamp.case,
            stamp.shape,
            _image_name(stamp.source) + "#" + stamp.source.rpartition("#")[2],
        )
    false = Table(title="false seals (first 20)", title_justify="left")
    for column in ("image", "background", "found"):
        false.add_column(column)
    rows = [(i, f) for i in figures.images for f in i.found if not f.matched]
    for image, found in rows[:20]:
        false.add_row(
            Path(image.file).stem, image.background, f"{found.shape} {found.colour} ‹{found.text}›"
        )
    return [summary, *(t for t in (missed, false) if t.row_count)]


def finding_tables(figures: FindingFigures) -> list[Table]:
    from shenbao_lab.bench.extract import SOURCE_NAMES
    from shenbao_lab.bench.finding_figures import ALL
    from shenbao_lab.bench.mutations import MUTATIONS

    columns = figures.columns
    names = {kind.value: name for kind, name in SOURCE_NAMES.items()} | {ALL: ALL}
    counts = ", ".join(f"{n} {names[kind]}" for kind, n in figures.submissions.items())
    summary = Table(
        title=f"bench findings: {figures.corpus}; sources: {counts}; matched to "
        f"{figures.export}; mutations from seed {figures.seed} (read {figures.read_s:.1f} s, "
        f"check {figures.check_s:.1f} s, online {figures.online_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    for column in columns:
        summary.add_column(names[column], justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}
    overall = figures.overall
    rows: list[tuple[str, dict[str, Score], str | None]] = [
        (
            "precision, all codes",
            {k: s.precision for k, s in overall.items()},
            "precision, overall",
        ),
        (
            "recall, the truth's findings",
            {k: s.recall for k, s in overall.items()},
            "recall, the truth's findings",
        ),
        (
            "format-only fields of the export: no FIELD_MISMATCH",
            figures.format_only,
            "format-only fields of the export without FIELD_MISMATCH",
        ),
        (
            "planted discrepancies: FIELD_MISMATCH",
            {k: s.score for k, s in figures.planted.items()},
            "recall, planted online discrepancies",
        ),
        (
            "format-only variants planted: no FIELD_MISMATCH",
            {k: s.score for k, s in figures.format_planted.items()},
            "format-only variants planted without FIELD_MISMATCH",
        ),
    ]
    for measure, cells, goal in rows:
        summary.add_row(
            measure,
            *(_fraction(cells[k]) for k in columns),
            _target_cell(goals[goal]) if goal else "",
        )
    counted: list[tuple[str, dict[str, int]]] = [
        (
            "expected, deferred to review (FIELD_LOW_CONFIDENCE)",
            {k: s.deferred for k, s in overall.items()},
        ),
        ("raised where tolerated", {k: s.tolerated for k, s in overall.items()}),
        ("planted, deferred to review", {k: s.deferred for k, s in figures.planted.items()}),
        (
            "FIELD_LOW_CONFIDENCE raised (not scored)",
            figures.low_confidence | {ALL: sum(figures.low_confidence.values())},
        ),
    ]
    for measure, numbers in counted:
        summary.add_row(measure, *(str(numbers.get(k, 0)) for k in columns), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced",
            *("" for _ in columns[:-1]),
            Text(", ".join(figures.missing_submissions)),
            "",
        )
    for match in figures.wrong_matches:
        summary.add_row(
            Text(f"{match.submission_id} ({names[match.kind.value]}) matched", style="red"),
            *("" for _ in columns[:-1]),
            Text(f"{match.matched or '—'}, truth {match.truth or '—'}"),
            "",
        )

    codes = Table(
        title="findings (code + field|slot|section|key): precision | recall", title_justify="left"
    )
    codes.add_column("code", overflow="fold")
    for column in columns:
        codes.add_column(names[column], justify="right")
    codes.add_column("deferred", justify="right")
    codes.add_column("tolerated", justify="right")
    for code, every in figures.by_code[ALL].items():
        cells: list[Text] = []
        for column in columns:
            score = figures.by_code[column][code]
            perfect = (
                score.precision.right == score.precision.total
                and score.recall.right == score.recall.total
            )
            cells.append(
                Text(
                    f"{_short(score.precision)} | {_short(score.recall)}",
                    style="" if perfect else "red",
                )
            )
        codes.add_row(code, *cells, str(every.deferred or ""), str(every.tolerated or ""))

    mutations = Table(
        title="online filings mutated one field at a time: planted caught (+ deferred) | "
        "format-only without FIELD_MISMATCH",
        title_justify="left",
    )
    mutations.add_column("mutation")
    for column in columns:
        mutations.add_column(names[column], justify="right")
    for mutation in MUTATIONS:
        row = figures.by_mutation[mutation.name]
        mutations.add_row(
            Text(f"{'planted' if mutation.planted else 'format'}: {mutation.description}"),
            *(
                Text(
                    _short(row[k].score) + (f" (+{row[k].deferred})" if row[k].deferred else ""),
                    style="" if row[k].score.right == row[k].score.total else "red",
                )
                for k in columns
            ),
        )

    verdicts = {
        "false": "raised, not expected",
        "missed": "expected, not raised",
        "deferred": "expected; the field deferred to review",
    }
    wrong = Table(title=f"wrong findings ({len(figures.wrong_findings)})", title_justify="left")
    for column in ("submission", "code", "key", "verdict"):
        wrong.add_column(column)
    for finding in figures.wrong_findings:
        wrong.add_row(
            f"{finding.submission_id} ({names[finding.kind.value]})",
            finding.code.value,
            finding.key or "",
            Text(
                verdicts[finding.verdict],
                style="yellow" if finding.verdict == "deferred" else "red",
            ),
        )

    fields = Table(
        title="format-only fields of the export given FIELD_MISMATCH", title_justify="left"
    )
    for column in ("submission", "field", "paper (read)", "online"):
        fields.add_column(column)
    for variant in figures.format_variants:
        if variant.mismatch:
            fields.add_row(
                f"{variant.submission_id} ({names[variant.kind.value]})",
                variant.field,
                Text(_shown(variant.paper)),
                Text(_shown(variant.online)),
            )

    planted = Table(
        title=f"mutations missed, given FIELD_MISMATCH falsely, or deferred "
        f"({len(figures.wrong_mutations)})",
        title_justify="left",
    )
    for column in ("submission", "field", "mutation", "online", "paper (read)", "verdict"):
        planted.add_column(column, overflow="fold")
    shown = {
        "missed": "silent match",
        "false": "FIELD_MISMATCH",
        "deferred": "deferred to review",
    }
    for outcome in figures.wrong_mutations:
        paper = _shown(outcome.paper) + (" (misread)" if outcome.paper_misread else "")
        verdict = shown[outcome.verdict] + ("" if outcome.matched else ", not matched")
        planted.add_row(
            f"{outcome.submission_id} ({names[outcome.kind.value]})",
            outcome.field,
            outcome.mutation,
            Text(_shown(outcome.online)),
            Text(paper),
            Text(verdict, style="yellow" if outcome.verdict == "deferred" else "red"),
        )
    return [
        summary,
        *_finding_style_tables(figures),
        codes,
        mutations,
        *(table for table in (wrong, fields, planted) if table.row_count),
    ]


def orchestration_tables(figures: OrchestrationFigures) -> list[Table]:
    runs = figures.runs
    table = Table(
        title=f"bench batch: {figures.corpus}; {figures.bare.files} files, "
        f"{figures.bare.submissions} submissions, {figures.bare.pages} pages; "
        f"{figures.workers} page readers, {figures.cores} cores; each run a child process, "
        f"warmed up untimed on {', '.join(figures.warm_up) or 'nothing'}",
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("bare pipeline", justify="right")
    table.add_column("Prefect", justify="right")
    table.add_column("Prefect re-run", justify="right")
    if figures.warm is not None:
        table.add_column("Prefect, cache warm, empty store", justify="right")
    if figures.scaled is not None:
        table.add_column(f"the same, batch ×{figures.scale}", justify="right")
    start = figures.prefect_start_s
    rows = [
        ("wall s", *(f"{r.wall_s:.1f}" for r in runs)),
        ("submissions", *(str(r.submissions) for r in runs)),
        (
            "Prefect start-up s (apart)",
            "",
            "—" if start is None else f"{start:.1f}",
            *([""] * (len(runs) - 2)),
        ),
        ("pages/s", *("—" if r.pages_per_s is None else f"{r.pages_per_s:.2f}" for r in runs)),
        ("files read afresh (OCR)", *(str(r.read_afresh) for r in runs)),
        ("objects written", *(str(r.written) for r in runs)),
        ("peak RSS MiB, the run's process tree", *(f"{r.peak_rss_mb:.0f}" for r in runs)),
        ("warm-up s (untimed, first)", *(f"{r.warm_up_s:.1f}" for r in runs)),
    ]
    for row in rows:
        table.add_row(*row)

    targets = Table(title="bench batch: targets (issue 8)", title_justify="left")
    targets.add_column("measure")
    targets.add_column("result", justify="right")
    targets.add_column("target", justify="right")
    for goal in figures.targets:
        if goal.unit == "%":
            value, limit = f"{goal.value:.1%}", f"≤ {goal.limit:.0%}"
        else:
            value, limit = f"{goal.value:.0f} {goal.unit}", f"≤ {goal.limit:.0f} {goal.unit}"
        mark, style = ("met", "green") if goal.met else ("MISSED", "red")
        targets.add_row(goal.measure, value, Text(f"{limit} {mark}", style=style))
    targets.add_row(
        "orchestration overhead, Prefect's server already up",
        f"{figures.overhead_running:.1%}",
        "",
    )
    if figures.scaled_growth_mb is not None:
        targets.add_row(
            f"peak RSS added by a batch ×{figures.scale} (cache warm)",
            f"{figures.scaled_growth_mb:+.0f} MiB",
            "",
        )
    if not figures.consistent:
        targets.add_row(
            Text("the runs disagree (files, reports, pages, fresh reads) or the re-run wrote"),
            Text("inconsistent", style="red"),
            "",
        )
    return [table, targets]


def _image_name(file: str) -> str:
    """A real image's short name: ``seal-03``, ``noseal-01``."""
    return "-".join(file.split("-")[:2])


def _short(score: Score) -> str:
    return f"{score.right}/{score.total}" if score.total else "—"


def _shown(value: object) -> str:
    if isinstance(value, list):
        return (
            "; ".join(
                "/".join(str(v) for v in item.model_dump().values())
                if hasattr(item, "model_dump")
                else str(item)
                for item in value
            )
            or "[]"
        )
    return "∅" if value is None else str(value)


def _finding_style_tables(figures: FindingFigures) -> list[Table]:
    """Scans by the style split of their paper (issue 17); none for a corpus in the
    generator's own style only."""
    splits = figures.by_split
    if set(splits) <= {"house"}:
        return []
    table = _split_table(
        "precision, all codes",
        "recall, all codes",
        "precision, errors",
        "recall, errors",
        "unexpected warnings / submission",
    )
    for split, scores in splits.items():
        table.add_row(
            split,
            str(scores.submissions),
            str(scores.all_codes.precision),
            str(scores.all_codes.recall),
            str(scores.errors.precision),
            str(scores.errors.recall),
            f"{scores.unexpected_warnings_per_submission}",
        )
    return [table]
