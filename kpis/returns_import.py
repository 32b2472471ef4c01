"""Importing monthly returns from a workbook: check every row, then save all of them or none.

`check_returns` reads the workbook and checks each row with the rules of the
browser form: `parse_return`, the rating of `rating_for`, and
`require_narrative`. It also checks what only a spreadsheet can get wrong:
unknown references, repeated rows, another period's rows, KPIs the uploader
may not edit, locked periods, and rows changed by someone else since the
sheet was downloaded (the Version column). `commit_returns` saves the
checked rows through `save_returns` in one transaction, so the locks,
permissions, versions and history of the browser apply unchanged.

A filled-in row replaces that KPI's return for the period, narrative
included. A row whose value, numerator, denominator and narrative cells are
all empty is skipped. The "Submit? (Y/N)" column submits the return with Y;
blank or N saves it as a draft.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from golden_thread.models import Directorate, Profile, Service

from pmf import rag
from pmf.periods import Period

from . import excel
from .models import Kpi, KpiValue, PeriodLock
from .returns_status import kpis_for_returns, returns_of
from .scorecard import Scorecard, previous_due_period
from .returns import (
    FIELD_LABELS, NARRATIVE_FIELDS, NUMBER_FIELDS, ReturnData, parse_return, rate_candidate, require_narrative,
)
from .services import ReturnEntry, save_returns

logger = logging.getLogger(__name__)

SHEET_NAME = "Returns"
INPUT_FIELDS = (*NUMBER_FIELDS, "commentary", *NARRATIVE_FIELDS)
COLUMNS = excel.RETURN_COLUMNS
YES = {"y", "yes", "true", "1"}
NO = {"", "n", "no", "false", "0"}
# Stored numbers keep six decimal places, so a re-read figure is compared at that precision.
STORED_PLACES = Decimal("0.000001")


@dataclass
class Problem:
    ref: str
    problem: str
    advice: str
    row: int | None = None

    def __str__(self) -> str:
        return f"{self.ref}: {self.problem} {self.advice}".strip()


@dataclass
class CheckedRow:
    """One row that passed every check, and what confirming will do with it."""

    number: int
    kpi: Kpi
    period: Period
    data: ReturnData
    submit: bool
    expected_version: int
    rating: rag.Rating
    is_change: bool

    @property
    def value_display(self) -> str:
        return self.kpi.format(self.data.value)

    @property
    def outcome(self) -> str:
        if not self.is_change:
            return "No change"
        return "Submit for sign-off" if self.submit else "Save as draft"


@dataclass
class ImportReport:
    rows_read: int = 0
    rows: list[CheckedRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.is_change]

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"{self.rows_read} rows, {len(self.errors)} errors, {len(self.warnings)} warnings"


def split_message(message: str) -> tuple[str, str]:
    """Split a rule's message into the problem and what to do, at its first ": ", ". " or "; "."""
    cuts = [(message.find(mark), mark) for mark in (": ", ". ", "; ") if message.find(mark) > 0]
    if not cuts:
        return message, ""
    index, mark = min(cuts)
    problem = message[: index + (1 if mark == ". " else 0)]
    advice = message[index + len(mark):]
    return problem, advice[:1].upper() + advice[1:]


# The template ---------------------------------------------------------------

SCOPES = ("mine", "service", "directorate")


def kpis_in_scope(user, scope: str, scope_id: int | None):
    """Return the KPIs of a template scope and its name, or raise PermissionDenied for a scope the user may not use.

    "mine" is the KPIs the user owns or is a delegate of. "service" and
    "directorate" are open to that service's manager, the directorate's
    director and the performance team. Without an id they mean the user's own.
    """
    profile = getattr(user, "profile", None)
    if scope == "mine":
        return returns_of(user), "My returns"
    if scope == "service":
        service = get_object_or_404(Service.objects.select_related("directorate"), pk=scope_id or getattr(profile, "service_id", None))
        if not may_use_service(user, profile, service):
            raise PermissionDenied("Only the service's manager, its director and the performance team can download its returns.")
        return kpis_for_returns().filter(service=service), service.name
    if scope == "directorate":
        directorate = get_object_or_404(Directorate, pk=scope_id or getattr(profile, "directorate_id", None))
        if not may_use_directorate(user, profile, directorate):
            raise PermissionDenied("Only the directorate's director and the performance team can download its returns.")
        return kpis_for_returns().filter(directorate=directorate), directorate.name
    raise ValueError(f"Unknown scope {scope!r}: expected one of {', '.join(SCOPES)}.")


def may_use_service(user, profile, service: Service) -> bool:
    if user.has_perm("kpis.view_completeness"):
        return True
    if profile is None:
        return False
    if profile.role == Profile.Role.SERVICE_MANAGER:
        return profile.service_id == service.pk
    return profile.role == Profile.Role.DIRECTOR and profile.directorate_id == service.directorate_id


def may_use_directorate(user, profile, directorate: Directorate) -> bool:
    if user.has_perm("kpis.view_completeness"):
        return True
    return profile is not None and profile.role == Profile.Role.DIRECTOR and profile.directorate_id == directorate.pk


def template_rows(user, kpis, period: Period) -> list[excel.TemplateRow]:
    """List the KPIs due in `period` that `user` may enter, with their targets and last values."""
    editable = [kpi for kpi in kpis if kpi.is_due(period) and user.has_perm("kpis.edit_return", kpi)]
    scorecard = Scorecard(editable, period, history_years=1)
    rows = []
    for kpi in sorted(editable, key=lambda kpi: kpi.reference):
        _, target, target_value = scorecard.rate(kpi, period)
        previous = previous_due_period(kpi, period)
        last = scorecard.record(kpi, previous)
        current = scorecard.record(kpi, period)
        rows.append(excel.TemplateRow(
            kpi=kpi, period=period, target=target, target_value=target_value,
            last_value=last.value if last else None, last_period=previous,
            version=current.version if current else 0,
        ))
    return rows


# Reading -------------------------------------------------------------------


def check_returns(data: bytes, *, user, period: Period | None, today: date) -> ImportReport:
    """Read and check every row of a returns workbook; nothing is written.

    `period`, when given, is the period the uploader chose: every row must be
    for it. `user` None checks everything except permissions (a dry run
    from the command line).
    """
    report = ImportReport()
    try:
        table = excel.read_table(data, COLUMNS, key_column="reference", prefer_sheet=SHEET_NAME)
    except excel.WorkbookError as error:
        report.errors.append(Problem("File", str(error), ""))
        return report
    RowChecker(table, report, user=user, period=period, today=today).check_all()
    return report


class RowChecker:
    """Checks a table's rows with everything they need loaded up front, in a fixed number of queries."""

    def __init__(self, table: excel.Table, report: ImportReport, *, user, period: Period | None, today: date):
        self.table, self.report, self.user, self.period, self.today = table, report, user, period, today
        references = {reference_of(row) for row in table.rows} - {""}
        self.kpis = {
            kpi.reference: kpi
            for kpi in Kpi.objects.filter(reference__in=references).select_related("owner").prefetch_related("delegates")
        }
        self.scorecards: dict[Period, Scorecard] = {}
        self.locked: set[tuple[int, int]] = set()
        self.seen: dict[tuple[str, Period], int] = {}

    def check_all(self) -> None:
        self.report.rows_read = len(self.table.rows)
        if "version" not in self.table.columns:
            self.warn(
                f"{excel.quote_sheetname(self.table.sheet)}!{self.table.header_row}:{self.table.header_row}",
                "There is no Version column, so rows are not checked for changes made since the sheet was made.",
                "Download the template to have them checked.",
            )
        located = [(row, self.locate(row)) for row in self.table.rows]
        self.load_records([found for _, found in located if found is not None])
        for row, found in located:
            if found is not None:
                self.check_row(row, *found)

    def error(self, ref: str, problem: str, advice: str = "", row: int | None = None) -> None:
        self.report.errors.append(Problem(ref, problem, advice, row))

    def warn(self, ref: str, problem: str, advice: str = "", row: int | None = None) -> None:
        self.report.warnings.append(Problem(ref, problem, advice, row))

    def ref(self, key: str, row: excel.Row) -> str:
        return self.table.ref(key, row.number)

    # Which KPI and period a row is for.

    def locate(self, row: excel.Row) -> tuple[Kpi, Period] | None:
        reference = reference_of(row)
        if not reference:
            self.error(self.ref("reference", row), "KPI reference is missing.",
                       "Enter the KPI's reference, or delete the row.", row.number)
            return None
        kpi = self.kpis.get(reference)
        if kpi is None or not kpi.is_active:
            self.error(self.ref("reference", row), f"There is no active KPI with the reference {reference}.",
                       "Check the reference against the KPI list, or delete the row.", row.number)
            return None
        period = self.row_period(row)
        if period is None:
            return None
        return self.check_placement(row, kpi, period)

    def row_period(self, row: excel.Row) -> Period | None:
        cell = row.cell("period")
        if cell is None or cell.is_blank:
            if self.period is None:
                self.error(self.ref("period", row), "The period is missing.",
                           "Enter the month, such as 2014-09 or Sep 2014, or choose the period when you upload.",
                           row.number)
            return self.period
        found = read_period(cell, self.table.epoch)
        if found is None:
            self.error(cell.ref, f"“{excel.plain_text(cell)}” is not a period.",
                       "Enter the month as a date or as text such as 2014-09 or Sep 2014.", row.number)
            return None
        if self.period is not None and found != self.period:
            self.error(cell.ref, f"This row is for {found.long_label}, but you are importing {self.period.long_label}.",
                       f"Upload it as a {found.long_label} file, or delete the row.", row.number)
            return None
        return found

    def check_placement(self, row: excel.Row, kpi: Kpi, period: Period) -> tuple[Kpi, Period] | None:
        ref = self.ref("reference", row)
        first = self.seen.setdefault((kpi.reference, period), row.number)
        if first != row.number:
            self.error(ref, f"{kpi.reference} for {period.long_label} is also on row {first}.",
                       "Keep one row per KPI and period.", row.number)
            return None
        if not kpi.is_due(period):
            self.error(ref, f"{kpi.reference} is {kpi.get_frequency_display().lower()}: no value is due for {period.long_label}.",
                       "Delete the row, or enter the value in the month it falls due.", row.number)
            return None
        if self.user is not None and not self.user.has_perm("kpis.edit_return", kpi):
            self.error(ref, f"You may not enter returns for {kpi.reference}.",
                       "Ask its owner or the performance team to enter it, or delete the row.", row.number)
            return None
        return kpi, period

    def load_records(self, located: list[tuple[Kpi, Period]]) -> None:
        """Each period's stored returns and target versions (three queries a period), and the locks."""
        by_period: dict[Period, list[Kpi]] = {}
        for kpi, period in located:
            by_period.setdefault(period, []).append(kpi)
        self.scorecards = {period: Scorecard(kpis, period, history_years=0) for period, kpis in by_period.items()}
        years = {period.year for period in by_period}
        locks = PeriodLock.objects.filter(financial_year__in=years, is_locked=True)
        self.locked = {(lock.financial_year, lock.period) for lock in locks}

    # The return itself.

    def check_row(self, row: excel.Row, kpi: Kpi, period: Period) -> None:
        raw = self.raw_return(row, kpi)
        if raw is None:
            return
        submit = self.read_submit(row)
        scorecard = self.scorecards[period]
        record = scorecard.record(kpi, period)
        if all(not raw.get(name) for name in INPUT_FIELDS) and not submit:
            return

        data = parse_return(kpi, period, raw, today=self.today)
        errors_before = len(self.report.errors)
        self.add_field_errors(row, kpi, data.errors)
        rating = candidate_rating(scorecard, kpi, period, data.value) if not data.errors else rag.Rating.NO_DATA
        if not data.errors:
            require_narrative(data, rating, submitting=bool(submit))
            self.add_field_errors(row, kpi, data.errors)
        if submit is None or len(self.report.errors) > errors_before:
            return

        is_change = changes_record(record, data, submit)
        version = self.expected_version(row, kpi, record, is_change)
        if version is None or (is_change and not self.can_change(row, kpi, period, record)):
            return
        self.report.rows.append(
            CheckedRow(row.number, kpi, period, data, submit, version, rating, is_change)
        )

    def raw_return(self, row: excel.Row, kpi: Kpi) -> dict | None:
        """Convert the row to the text `parse_return` reads, or return None when a cell cannot be read."""
        raw = {}
        unreadable = False
        for name in INPUT_FIELDS:
            cell = row.cell(name)
            if cell is None:
                continue
            if cell.is_uncached_formula:
                self.error(cell.ref, f"{coordinate(cell)} is a formula with no saved result.",
                           "Open the file in Excel, save it, and upload again.", row.number)
                unreadable = True
                continue
            if cell.is_error:
                self.warn(cell.ref, f"{coordinate(cell)} holds the error {cell.value}, so it is read as no value.",
                          "Correct the formula if there should be a value.", row.number)
            if name in NUMBER_FIELDS:
                if isinstance(cell.value, (datetime, date)):
                    self.error(cell.ref, f"{FIELD_LABELS[name]} is a date.",
                               "Enter a number, and format the cell as a number.", row.number)
                    unreadable = True
                    continue
                raw[name] = excel.number_text(cell, as_percentage=name == "value" and kpi.unit == Kpi.Unit.PERCENTAGE)
            else:
                raw[name] = excel.plain_text(cell)
        if unreadable:
            return None
        return self.rate_parts(row, kpi, raw)

    def rate_parts(self, row: excel.Row, kpi: Kpi, raw: dict) -> dict | None:
        """Drop the typed value of a rate KPI, which comes from its numerator and denominator as in the browser form."""
        if not kpi.is_rate:
            raw.pop("numerator", None)
            raw.pop("denominator", None)
            return raw
        typed_value = raw.pop("value", None)
        if typed_value and not raw.get("numerator") and not raw.get("denominator"):
            self.error(self.ref("value", row), f"{kpi.reference} is a rate worked out from its numerator and denominator.",
                       f"Enter the {kpi.numerator_label} and {kpi.denominator_label} instead of the value.", row.number)
            return None
        return raw

    def read_submit(self, row: excel.Row) -> bool | None:
        cell = row.cell("submit")
        text = excel.plain_text(cell).lower() if cell is not None else ""
        if text in YES:
            return True
        if text in NO:
            return False
        self.error(cell.ref, f"Submit? must be Y or N, not “{excel.plain_text(cell)}”.",
                   "Enter Y to submit the return for sign-off, or N (or leave it blank) to save a draft.", row.number)
        return None

    def add_field_errors(self, row: excel.Row, kpi: Kpi, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            key = name if name in self.table.columns else "reference"
            if kpi.is_rate and name == "value":
                key = "numerator" if "numerator" in self.table.columns else key
            problem, advice = split_message(message)
            self.error(self.ref(key, row), f"{kpi.reference}: {problem}", advice, row.number)
        errors.clear()

    def expected_version(self, row: excel.Row, kpi: Kpi, record: KpiValue | None, is_change: bool) -> int | None:
        current = record.version if record else 0
        cell = row.cell("version")
        if cell is None or cell.is_blank:
            return current
        try:
            version = int(Decimal(excel.plain_text(cell)))
        except ArithmeticError:
            self.error(cell.ref, "The Version cell has been changed.", "Download the template again and re-enter this row.", row.number)
            return None
        if version != current and is_change:
            self.error(self.ref("reference", row), f"{kpi.reference} was changed by {editor_of(record)} after this sheet was made.",
                       f"Check the saved return, then download the template again and re-enter row {row.number}.", row.number)
            return None
        return version if version == current else current

    def can_change(self, row: excel.Row, kpi: Kpi, period: Period, record: KpiValue | None) -> bool:
        ref = self.ref("reference", row)
        is_unlocked = record is not None and record.is_unlocked
        if (period.year, period.number) in self.locked and not is_unlocked:
            self.error(ref, f"{period.long_label} is locked because it has been reported.",
                       f"Ask the performance team (SPP) to unlock {kpi.reference} if it must change.", row.number)
            return False
        if record is not None and record.status == KpiValue.Status.SIGNED_OFF and not is_unlocked:
            self.error(ref, f"{kpi.reference} for {period.long_label} has been signed off.",
                       "Ask your service manager to return it for changes, or delete the row.", row.number)
            return False
        return True


def candidate_rating(scorecard: Scorecard, kpi: Kpi, period: Period, value: Decimal | None) -> rag.Rating:
    """Rate a typed value with the target read from a Scorecard loaded once for all the rows."""
    target = scorecard.target_in_force(kpi, period)
    profile = scorecard.profiles.get(target.pk) if target else None
    return rate_candidate(kpi, period, value, target, profile)


def coordinate(cell: excel.Cell) -> str:
    return cell.ref.rsplit("!", 1)[-1]


def reference_of(row: excel.Row) -> str:
    cell = row.cell("reference")
    return excel.plain_text(cell) if cell is not None else ""


def read_period(cell: excel.Cell, epoch) -> Period | None:
    day = excel.cell_date(cell, epoch)
    if day is not None:
        return Period.from_date(day)
    text = excel.plain_text(cell)
    try:
        return Period.parse(text)
    except ValueError:
        pass
    try:
        return Period.from_date(datetime.strptime(text, "%d/%m/%Y").date())
    except ValueError:
        return None


def editor_of(record: KpiValue | None) -> str:
    if record is None:
        return "someone"
    editor = record.updated_by
    return (editor.get_full_name() or editor.username) if editor else "someone"


def same_number(stored: Decimal | None, typed: Decimal | None) -> bool:
    if stored is None or typed is None:
        return stored is None and typed is None
    return stored.quantize(STORED_PLACES) == typed.quantize(STORED_PLACES)


def changes_record(record: KpiValue | None, data: ReturnData, submit: bool) -> bool:
    """Whether saving the row would change the stored return: a figure, the narrative, or its submission."""
    if record is None:
        return True
    if any(not same_number(getattr(record, name), getattr(data, name)) for name in NUMBER_FIELDS):
        return True
    if any(getattr(record, name) != getattr(data, name) for name in ("commentary", *NARRATIVE_FIELDS)):
        return True
    return submit and record.status in (KpiValue.Status.DRAFT, KpiValue.Status.RETURNED)


# Saving --------------------------------------------------------------------


def commit_returns(report: ImportReport, *, user) -> int:
    """Save every changed row in one transaction and return how many were saved.

    Raises what `save_returns` raises (a conflict, a locked period, invalid
    input); the transaction then rolls back, so nothing is saved.
    """
    if not report.is_valid:
        raise ValueError("An import with errors cannot be saved.")
    save_returns(
        entries=[
            ReturnEntry(row.kpi, row.period, fresh_copy(row.data), row.expected_version, row.submit)
            for row in report.changes
        ],
        user=user,
    )
    logger.info("Excel import by user %s saved %s returns", user.pk, len(report.changes))
    return len(report.changes)


def fresh_copy(data: ReturnData) -> ReturnData:
    """Copy the data without errors, because `save_returns` adds to the errors it is given."""
    return ReturnData(**{name: getattr(data, name) for name in INPUT_FIELDS})
