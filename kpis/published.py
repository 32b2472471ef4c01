"""Import of scorecards that councils published, and a check of their ratings.

A published scorecard is a CSV file with the columns
``council,kpi_name,unit,polarity,period,target,actual,published_rag,source``.
Its text is free-form: period labels such as "2014/15 Q1", "Sep 2024 (YTD)" or
"2023/24 outturn", targets such as "Fewer than 85" or "93%". Parsing is pure (no
database), so the ratings check can use it alone; the import then writes the
parsed rows in one transaction. Rows that cannot be read are reported with a
reason, never guessed.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from django.db import transaction

from pmf import rag
from pmf.periods import FinancialYear, Period, Quarter

from .models import Kpi, KpiValue, Target, TargetProfile

logger = logging.getLogger(__name__)

COLUMNS = ("council", "kpi_name", "unit", "polarity", "period", "target", "actual", "published_rag", "source")


# Period labels -------------------------------------------------------------


class LabelKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    BASELINE = "baseline"
    TARGET = "target"


class UnmappedPeriod(ValueError):
    """A period label that names no single financial-year period. The message gives the reason."""


@dataclass(frozen=True)
class MappedLabel:
    """The place a published period label maps to: a period, or the KPI's baseline.

    A YEAR lands on period 12, the annual position. A TARGET row carries only
    a target for the year of ``period``. ``is_outturn`` marks "2023/24 outturn",
    which becomes the baseline when the same KPI has another value for that period.
    """

    kind: LabelKind
    period: Period | None = None
    is_outturn: bool = False


_QUARTER_RE = re.compile(r"(\d{4}/\d{2,4}) q([1-4])")
_MONTH_RE = re.compile(r"(?:end )?([a-z]+\.? \d{4})(?: entry)?")
_YEAR_RE = re.compile(r"(\d{4}[/-]\d{2,4})(?: (year end|outturn|full year|annual))?")
_CALENDAR_YEAR_RE = re.compile(r"(?:calendar )?\d{4}(?: calendar year| awards)?")
_RANGE_RE = re.compile(r"\d.* - .*\d")
_TARGET_QUALIFIER_RE = re.compile(r"(?:year \d+ )?target(?: only)?")
_REPORTED_PART_YEAR_RE = re.compile(r"reported q[1-4]")

_UNMAPPED_WORDS = (
    (re.compile(r"\bmilestone\b"), "a milestone date is not a reporting period"),
    (re.compile(r"\bend target\b"), "an end target has no period of its own"),
    (re.compile(r"\bsurvey period\b"), "a survey period has no single month, quarter or year"),
    (re.compile(r"\bacademic year\b"), "an academic year runs September to August, not April to March"),
    (re.compile(r"\bterm\b"), "a school term does not line up with financial-year periods"),
)


def map_period_label(label: str) -> MappedLabel:
    """Map a published period label to a financial-year period.

    "2014/15 Q1" is Jun 2014 (period 3 of 2014/15); "2023/24 outturn",
    "2023/24 (annual)" and "2016-17" are Mar 2024 (period 12); "Sept 2024 entry"
    is Sep 2024. Text in brackets after a quarter or month is a remark and is
    ignored. Raises UnmappedPeriod for calendar years, ranges, academic years,
    terms, milestones and surveys.
    """
    text = " ".join(label.split()).lower()
    core, _, remark = text.partition("(")
    core, remark = core.strip(), remark.rstrip(")").strip()

    if core.startswith("baseline"):
        return MappedLabel(LabelKind.BASELINE)
    for pattern, reason in _UNMAPPED_WORDS:
        if pattern.search(text):
            raise UnmappedPeriod(_unmapped(label, reason))
    if _RANGE_RE.search(core):
        raise UnmappedPeriod(_unmapped(label, "a range spans several periods, not one"))
    if _CALENDAR_YEAR_RE.fullmatch(core):
        raise UnmappedPeriod(_unmapped(label, "a calendar year does not line up with the April to March year"))

    if match := _QUARTER_RE.fullmatch(core):
        return MappedLabel(LabelKind.QUARTER, Quarter.parse(core).end_period)
    if match := _MONTH_RE.fullmatch(core):
        return _map_month(label, match[1])
    if match := _YEAR_RE.fullmatch(core):
        return _map_year(label, match[1], match[2], remark)
    raise UnmappedPeriod(_unmapped(label, "the label is not a month, quarter or financial year"))


def _unmapped(label: str, reason: str) -> str:
    return f"period '{label}' could not be mapped to a financial period: {reason}"


def _map_month(label: str, month_text: str) -> MappedLabel:
    try:
        return MappedLabel(LabelKind.MONTH, Period.parse(month_text))
    except ValueError:
        raise UnmappedPeriod(_unmapped(label, "the month is not recognised")) from None


def _map_year(label: str, year_text: str, suffix: str | None, remark: str) -> MappedLabel:
    try:
        year = FinancialYear.parse(year_text)
    except ValueError:
        raise UnmappedPeriod(_unmapped(label, "the financial year is not valid")) from None
    year_end = year.period(12)
    if _TARGET_QUALIFIER_RE.fullmatch(remark):
        return MappedLabel(LabelKind.TARGET, year_end)
    if _REPORTED_PART_YEAR_RE.search(remark):
        raise UnmappedPeriod(_unmapped(label, "a part-year figure is not the annual position"))
    return MappedLabel(LabelKind.YEAR, year_end, is_outturn=suffix == "outturn")


# Units, polarity and numbers -------------------------------------------------

_MONITOR_STARTS = ("n/a", "not ranked", "contextual", "info")
_MONITOR_WORDS = ("data only", "information")
_HIGHER_STARTS = ("higher", "good is high")
_LOWER_STARTS = ("lower", "good is low", "minimise")
_RATE_RE = re.compile(r"\brate\b|per [\d,]+")
_CUMULATIVE_RE = re.compile(r"\bytd\b|\bcumulative\b|year to date")
_ACADEMIC_YTD = "academic ytd"


def parse_polarity(text: str) -> rag.Polarity | None:
    """Read a polarity such as "higher is better (inferred)", "Good is Low" or "n/a (data only)".

    Data-only, contextual and information measures are MONITOR. Returns None for
    any other text.
    """
    lowered = " ".join(text.split()).lower()
    if not lowered:
        return None
    if lowered.startswith(_MONITOR_STARTS) or any(word in lowered for word in _MONITOR_WORDS):
        return rag.Polarity.MONITOR
    if lowered.startswith(_HIGHER_STARTS):
        return rag.Polarity.HIGHER
    if lowered.startswith(_LOWER_STARTS):
        return rag.Polarity.LOWER
    return None


def parse_unit(text: str) -> str:
    """Map a unit text to a Kpi.Unit: "% YTD" is percentage, "£ millions" money, "per 100,000" rate."""
    lowered = " ".join(text.split()).lower()
    if lowered.startswith("%") or "percentage" in lowered:
        return Kpi.Unit.PERCENTAGE
    if lowered.startswith("days"):
        return Kpi.Unit.DAYS
    if lowered.startswith("£"):
        return Kpi.Unit.MONEY
    if _RATE_RE.search(lowered):
        return Kpi.Unit.RATE
    return Kpi.Unit.NUMBER


_NO_TARGET = frozenset({"", "-", "info", "info only", "data only", "n/a", "no target"})
_THRESHOLD_RE = re.compile(r"(fewer than|less than|under|above|more than|over)\s+(.+)")
_LOWER_THRESHOLDS = frozenset({"fewer than", "less than", "under"})
_REMARK_RE = re.compile(r"(.+?)\s*\(.*\)")


class InvalidTarget(ValueError):
    """A target text that is neither a number nor a stated absence of a target."""


@dataclass(frozen=True)
class ParsedTarget:
    value: Decimal | None
    implied_polarity: rag.Polarity | None = None


def parse_target(text: str) -> ParsedTarget:
    """Read a published target: "93%" is 93, "Fewer than 85" is 85 with lower is better.

    "98.5 (year-end)" is 98.5. A blank, "info", "data only" or "No target" is no target.
    Raises InvalidTarget for text such as "Additional 800" or "+2% increase", which
    describe a change rather than a figure.
    """
    lowered = " ".join(text.split()).lower()
    if lowered in _NO_TARGET:
        return ParsedTarget(None)

    implied = None
    if match := _THRESHOLD_RE.fullmatch(lowered):
        implied = rag.Polarity.LOWER if match[1] in _LOWER_THRESHOLDS else rag.Polarity.HIGHER
        lowered = match[2]
    if match := _REMARK_RE.fullmatch(lowered):
        lowered = match[1]
    lowered = lowered.removesuffix("%").strip()
    try:
        return ParsedTarget(rag.to_decimal(lowered), implied)
    except rag.InvalidNumber:
        raise InvalidTarget(f"target '{text}' is not a number") from None


def parse_actual(text: str) -> Decimal | None:
    """Read a published actual, or None when blank. Raises InvalidNumber with a plain reason."""
    try:
        return rag.to_decimal(text)
    except rag.InvalidNumber:
        if re.fullmatch(r"\s*[+-]?[\d.]*\d,\d+\s*", text):
            raise rag.InvalidNumber(f"actual '{text}' is not a number: a decimal comma is not accepted") from None
        raise rag.InvalidNumber(f"actual '{text}' is not a number") from None


def decimal_places_of(text: str) -> int:
    """Digits after the decimal point in a number as written: "95.90" has 2."""
    number = re.search(r"\d[\d,]*(?:\.(\d+))?", text)
    return len(number[1]) if number and number[1] else 0


# Rows ------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedRow:
    """A row that was not imported, with its row number (the header is row 1) and the reason."""

    line: int
    council: str
    kpi_name: str
    period: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.line} ({self.council} | {self.kpi_name} | {self.period}): {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    council: str
    kpi_name: str
    unit_label: str
    polarity: rag.Polarity
    period_label: str
    mapped: MappedLabel
    target: Decimal | None
    target_text: str
    actual: Decimal | None
    actual_text: str
    published_rag: str
    source: str

    @property
    def import_key(self) -> str:
        return f"{self.council}|{self.kpi_name}"

    @property
    def is_cumulative(self) -> bool:
        period = self.period_label.lower().replace(_ACADEMIC_YTD, "")
        texts = (self.unit_label.lower(), self.kpi_name.lower(), period)
        return any(_CUMULATIVE_RE.search(text) for text in texts)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) for each data row; the header is row 1.

    Raises ValueError when a column is missing.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            yield line, {column: (row.get(column) or "").strip() for column in COLUMNS}


def parse_row(row: dict[str, str], line: int) -> ParsedRow | SkippedRow:
    """Classify one row without the database: a value, a baseline or a target, or skipped with a reason."""

    def skip(reason: str) -> SkippedRow:
        return SkippedRow(line, row["council"], row["kpi_name"], row["period"], reason)

    if not row["council"] or not row["kpi_name"]:
        return skip("the council or KPI name is blank")
    try:
        mapped = map_period_label(row["period"])
        target = parse_target(row["target"])
        actual = parse_actual(row["actual"])
    except (UnmappedPeriod, InvalidTarget, rag.InvalidNumber) as error:
        return skip(str(error))

    polarity = parse_polarity(row["polarity"]) or target.implied_polarity
    if polarity is None:
        return skip(f"polarity '{row['polarity']}' is not understood")
    if mapped.kind is LabelKind.BASELINE and actual is None:
        return skip("the baseline row has no value")
    if mapped.kind is LabelKind.TARGET and target.value is None:
        return skip(f"the row gives only a target, and target '{row['target']}' sets no figure")

    return ParsedRow(
        line=line,
        council=row["council"],
        kpi_name=row["kpi_name"],
        unit_label=row["unit"],
        polarity=polarity,
        period_label=row["period"],
        mapped=mapped,
        target=target.value,
        target_text=row["target"],
        actual=actual,
        actual_text=row["actual"],
        published_rag=row["published_rag"],
        source=row["source"],
    )


# The ratings check -------------------------------------------------------------

_RATED_WORDS = {"green": rag.Rating.GREEN, "amber": rag.Rating.AMBER, "red": rag.Rating.RED}
_NOT_RATED_TEXTS = ("data only", "info only", "n/a (data only)")


def expected_rating(published: str) -> rag.Rating | None:
    """Return the rating a published text states, or None when it states none.

    The first word Green, Amber or Red is that rating; "Data only", "Info only" and
    "N/A (data only)" are NOT_RATED. Benchmarks ("vs England: Better") and free text
    ("slightly under target") are None.
    """
    lowered = " ".join(published.split()).lower()
    first_word = re.split(r"[\s(]", lowered, maxsplit=1)[0]
    if first_word in _RATED_WORDS:
        return _RATED_WORDS[first_word]
    if lowered.startswith(_NOT_RATED_TEXTS):
        return rag.Rating.NOT_RATED
    return None


@dataclass(frozen=True)
class RatingCheck:
    line: int
    council: str
    kpi_name: str
    period: str
    target: str
    actual: str
    published: str
    expected: rag.Rating
    engine: rag.Rating | None
    problem: str = ""

    @property
    def agrees(self) -> bool:
        return self.engine is self.expected

    @property
    def engine_text(self) -> str:
        return self.engine.label if self.engine else f"cannot rate: {self.problem}"


def check_rating(row: dict[str, str], line: int) -> RatingCheck | None:
    """Rate a row with the engine (default 5% tolerance) and compare it with the published rating.

    Returns None for a row whose published text states no rating. The period plays
    no part: a row is rated even when its label maps to no financial period.
    """
    expected = expected_rating(row["published_rag"])
    if expected is None:
        return None
    engine, problem = _engine_rating(row)
    return RatingCheck(
        line=line,
        council=row["council"],
        kpi_name=row["kpi_name"],
        period=row["period"],
        target=row["target"],
        actual=row["actual"],
        published=row["published_rag"],
        expected=expected,
        engine=engine,
        problem=problem,
    )


def _engine_rating(row: dict[str, str]) -> tuple[rag.Rating | None, str]:
    try:
        target = parse_target(row["target"])
        actual = parse_actual(row["actual"])
    except (InvalidTarget, rag.InvalidNumber) as error:
        return None, str(error)
    polarity = parse_polarity(row["polarity"]) or target.implied_polarity
    if polarity is None:
        return None, f"polarity '{row['polarity']}' is not understood"
    return rag.rate(actual, polarity=polarity, target=target.value), ""


# The import --------------------------------------------------------------------


@dataclass
class ImportReport:
    rows_read: int = 0
    kpis_created: int = 0
    kpis_updated: int = 0
    targets_created: int = 0
    targets_updated: int = 0
    values_created: int = 0
    values_updated: int = 0
    unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return (
            self.kpis_created + self.kpis_updated + self.targets_created
            + self.targets_updated + self.values_created + self.values_updated
        )

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read: {self.kpis_created} KPIs created, {self.kpis_updated} updated; "
            f"{self.targets_created} targets created, {self.targets_updated} updated; "
            f"{self.values_created} values created, {self.values_updated} updated; "
            f"{self.unchanged} unchanged; {len(self.skipped)} rows skipped"
        )


@dataclass
class KpiPlan:
    """The values, baseline and targets of one KPI, after duplicates and outturn baselines are resolved."""

    rows: list[ParsedRow]
    values: dict[Period, ParsedRow] = field(default_factory=dict)
    baseline: ParsedRow | None = None
    targets: dict[int, dict[int, Decimal]] = field(default_factory=dict)

    @property
    def first(self) -> ParsedRow:
        return self.rows[0]


def import_published_scorecard(path: Path, *, only_council: str | None = None) -> ImportReport:
    """Load a published scorecard into KPIs, targets and signed-off values, in one transaction.

    A second run on the same file changes nothing. Rows that cannot be read are in
    ``report.skipped`` and everything else is imported. A database error rolls back
    the whole file.
    """
    report = ImportReport()
    parsed: list[ParsedRow] = []
    for line, row in read_rows(path):
        if only_council and row["council"] != only_council:
            continue
        report.rows_read += 1
        result = parse_row(row, line)
        if isinstance(result, SkippedRow):
            report.skipped.append(result)
        else:
            parsed.append(result)

    plans = _plan(parsed, report)
    with transaction.atomic():
        for plan in plans:
            kpi = _save_kpi(plan, report)
            _save_targets(kpi, plan, report)
            _save_values(kpi, plan, report)

    report.skipped.sort(key=lambda skipped: skipped.line)
    for skipped in report.skipped:
        logger.warning("Published scorecard %s: row %d skipped", Path(path).name, skipped.line)
    logger.info(
        "Published scorecard %s imported: %d rows, %d created or updated, %d unchanged, %d skipped",
        Path(path).name, report.rows_read, report.changed, report.unchanged, len(report.skipped),
    )
    return report


def _plan(parsed: list[ParsedRow], report: ImportReport) -> list[KpiPlan]:
    groups: dict[str, list[ParsedRow]] = {}
    for row in parsed:
        groups.setdefault(row.import_key, []).append(row)
    return [_plan_kpi(rows, report) for rows in groups.values()]


def _plan_kpi(rows: list[ParsedRow], report: ImportReport) -> KpiPlan:
    plan = KpiPlan(rows)
    other_periods = {
        row.mapped.period for row in rows if row.mapped.kind in _VALUE_KINDS and not row.mapped.is_outturn
    }
    for row in rows:
        kind = row.mapped.kind
        if kind is LabelKind.BASELINE or (row.mapped.is_outturn and row.mapped.period in other_periods):
            _plan_baseline(plan, row, report)
        elif kind is LabelKind.TARGET:
            _plan_target(plan, row)
        else:
            _plan_value(plan, row, report)
    return plan


_VALUE_KINDS = (LabelKind.MONTH, LabelKind.QUARTER, LabelKind.YEAR)


def _plan_baseline(plan: KpiPlan, row: ParsedRow, report: ImportReport) -> None:
    if plan.baseline is not None:
        report.skipped.append(_duplicate(row, f"the baseline is already given by row {plan.baseline.line}"))
        return
    plan.baseline = row


def _plan_value(plan: KpiPlan, row: ParsedRow, report: ImportReport) -> None:
    period = row.mapped.period
    if period in plan.values:
        earlier = plan.values[period]
        reason = f"{period.label} is already given by row {earlier.line} ('{earlier.period_label}')"
        report.skipped.append(_duplicate(row, reason))
        return
    plan.values[period] = row
    _plan_target(plan, row)


def _plan_target(plan: KpiPlan, row: ParsedRow) -> None:
    # NOTE: a period whose row states no target still falls under its year's target,
    # because a Target covers the whole year and a profile point cannot be blank.
    if row.target is None:
        return
    period = row.mapped.period
    plan.targets.setdefault(period.year, {})[period.number] = row.target


def _duplicate(row: ParsedRow, reason: str) -> SkippedRow:
    return SkippedRow(row.line, row.council, row.kpi_name, row.period_label, reason)


# Saving ------------------------------------------------------------------------


def _kpi_fields(plan: KpiPlan) -> dict[str, object]:
    first = plan.first
    unit = parse_unit(first.unit_label)
    name = _strip_reference(first.kpi_name)[1]
    places = max(
        (decimal_places_of(text) for row in plan.rows for text in (row.actual_text, row.target_text)),
        default=0,
    )
    if unit == Kpi.Unit.PERCENTAGE:
        places = max(places, 1)
    baseline = plan.baseline
    return {
        "name": name[:300],
        "unit": unit,
        "unit_label": first.unit_label[:100],
        "decimal_places": min(places, STORED_PLACES),
        "polarity": first.polarity.value,
        "frequency": _frequency(plan),
        "accumulation": (
            Kpi.Accumulation.CUMULATIVE if any(row.is_cumulative for row in plan.rows) else Kpi.Accumulation.SNAPSHOT
        ),
        "data_source": f"{first.council}: {first.source}"[:500],
        "baseline": _stored(baseline.actual) if baseline else None,
        "baseline_label": baseline.period_label[:100] if baseline else "",
    }


def _frequency(plan: KpiPlan) -> str:
    kinds = {row.mapped.kind for row in plan.values.values()}
    if LabelKind.MONTH in kinds:
        return Kpi.Frequency.MONTHLY
    if LabelKind.QUARTER in kinds:
        return Kpi.Frequency.QUARTERLY
    return Kpi.Frequency.ANNUAL


_REFERENCE_RE = re.compile(r"((?:\d+\.)+[A-Z]{1,4}|[A-Z]{1,5}\.?\d+[A-Za-z]?)\s+(\S.*)")


def _strip_reference(kpi_name: str) -> tuple[str | None, str]:
    """Split "CS01 Quality of…" into ("CS01", "Quality of…"); a name without a code gives (None, name)."""
    if match := _REFERENCE_RE.fullmatch(kpi_name):
        return match[1], match[2]
    return None, kpi_name


def council_initials(council: str) -> str:
    """ "Hart District Council" gives "HDC"; words such as "and" and remarks in brackets are left out."""
    name = council.partition("(")[0]
    words = [word for word in re.split(r"[\s-]+", name) if word and word.lower() not in {"and", "of", "the"}]
    return "".join(word[0].upper() for word in words if word[0].isalpha()) or "KPI"


def _new_reference(plan: KpiPlan) -> str:
    first = plan.first
    initials = council_initials(first.council)
    code, _ = _strip_reference(first.kpi_name)
    digest = hashlib.sha1(first.import_key.encode()).hexdigest()[:6].upper()
    candidates = [code, f"{initials}-{code}"] if code else []
    candidates.append(f"{initials}-{digest}")
    for candidate in candidates:
        if not Kpi.objects.filter(reference=candidate).exists():
            return candidate
    return f"{initials}-{digest}-{Kpi.objects.count()}"


def _save_kpi(plan: KpiPlan, report: ImportReport) -> Kpi:
    fields = _kpi_fields(plan)
    kpi = Kpi.objects.filter(import_key=plan.first.import_key).first()
    if kpi is None:
        report.kpis_created += 1
        return Kpi.objects.create(import_key=plan.first.import_key, reference=_new_reference(plan), **fields)
    if _apply(kpi, fields):
        kpi.save()
        report.kpis_updated += 1
    else:
        report.unchanged += 1
    return kpi


STORED_PLACES = 6  # the decimal places of the value columns


def _stored(value: Decimal | None) -> Decimal | None:
    """Round to the places the database keeps, so a second import compares equal to what was saved."""
    return None if value is None else rag.round_half_up(value, STORED_PLACES)


def _apply(instance, fields: dict[str, object]) -> bool:
    """Set the fields that differ and return whether any did. Decimals compare by value."""
    changed = False
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _save_targets(kpi: Kpi, plan: KpiPlan, report: ImportReport) -> None:
    existing = {target.financial_year: target for target in kpi.targets.filter(effective_from=1)}
    for year, by_period in plan.targets.items():
        by_period = {number: _stored(value) for number, value in by_period.items()}
        ordered = [by_period[number] for number in sorted(by_period)]
        profile = by_period if len(set(ordered)) > 1 else {}
        target = existing.get(year)
        if target is None:
            target = Target.objects.create(kpi=kpi, financial_year=year, effective_from=1, value=ordered[-1])
            _save_profile(target, profile)
            report.targets_created += 1
            continue
        value_changed = _apply(target, {"value": ordered[-1]})
        if value_changed:
            target.save()
        if _save_profile(target, profile) or value_changed:
            report.targets_updated += 1
        else:
            report.unchanged += 1


def _save_profile(target: Target, profile: dict[int, Decimal]) -> bool:
    current = {point.period: point.value for point in target.profile.all()}
    if current == profile:
        return False
    target.profile.all().delete()
    TargetProfile.objects.bulk_create(
        TargetProfile(target=target, period=number, value=value) for number, value in sorted(profile.items())
    )
    return True


def _save_values(kpi: Kpi, plan: KpiPlan, report: ImportReport) -> None:
    existing = {(record.financial_year, record.period): record for record in kpi.values.all()}
    for period, row in plan.values.items():
        fields = {
            "value": _stored(row.actual),
            "status": KpiValue.Status.SIGNED_OFF,
            "published_rating": row.published_rag[:100],
            "source": row.source[:500],
        }
        record = existing.get((period.year, period.number))
        if record is None:
            KpiValue.objects.create(kpi=kpi, financial_year=period.year, period=period.number, **fields)
            report.values_created += 1
        elif _apply(record, fields):
            record.version += 1
            record.save()
            report.values_updated += 1
        else:
            report.unchanged += 1
