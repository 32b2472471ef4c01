"""The rows of each download, built from the same code as the page it comes from.

No export rates anything itself: ratings and directions come from the
dashboard, the scorecard, the returns status and the golden thread tree, so a
download always matches its page. Each builder returns an `Export`
that `to_workbook` turns into a workbook and `to_csv` into a CSV download.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.text import slugify
from django_tables2 import RequestConfig

from golden_thread.services import Node, build_tree
from kpis import returns_status
from kpis.filters import KpiFilter
from kpis.history import kpi_history
from kpis.models import Kpi
from kpis.tables import KpiTable
from pmf import rag
from pmf.periods import Period

from .dashboard import build_dashboard
from .excel import Cell, Column, add_table, csv_response, kind_for_unit, new_workbook
from .period_picker import period_heading

RATING_ORDER = list(rag.Rating)
NARRATIVE_COLUMNS = [Column("Commentary"), Column("Cause"), Column("Recovery"), Column("Support needed")]


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)


@dataclass
class Export:
    title: str
    filename: str
    period_label: str
    scope: str
    sheets: list[Sheet]
    details: list[tuple[str, object]] = field(default_factory=list)


def to_workbook(export: Export, *, produced_at: datetime):
    workbook = new_workbook(
        export.title,
        period_label=export.period_label,
        scope=export.scope,
        produced_at=produced_at,
        details=export.details,
    )
    for sheet in export.sheets:
        add_table(workbook, sheet.name, sheet.columns, sheet.rows)
    return workbook


def to_csv(export: Export):
    """Return the export's first sheet as a CSV download: lists offer CSV, packs do not."""
    sheet = export.sheets[0]
    return csv_response(sheet.columns, sheet.rows, export.filename)


# Cells shared by several exports ------------------------------------------


def measure(kpi: Kpi, value: Decimal | None) -> Cell | None:
    """Wrap a KPI value as a number in the KPI's own unit and decimal places (85.5 for 85.5%)."""
    if value is None:
        return None
    return Cell(value, kind_for_unit(kpi.unit), kpi.decimal_places)


def target_cell(kpi: Kpi, target, target_value: Decimal | None, display: str):
    """Return the target as a number, or as text ("80.0% to 90.0%") for a range."""
    if target is None:
        return None
    if kpi.polarity == rag.Polarity.RANGE:
        return display
    return measure(kpi, target_value)


def narrative(record) -> list[str]:
    if record is None:
        return ["", "", "", ""]
    return [record.commentary, record.cause, record.recovery, record.support_needed]


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def count_columns() -> list[Column]:
    return [Column(rating.label, "number") for rating in RATING_ORDER]


def count_cells(counts: dict[rag.Rating, int]) -> list[int]:
    return [counts[rating] for rating in RATING_ORDER]


# The corporate dashboard ---------------------------------------------------


def dashboard_export(period: Period) -> Export:
    """Build one row per tier 1 KPI, grouped by commitment as on the dashboard, and the counts per commitment."""
    groups = build_dashboard(period)
    kpis = Sheet("Tier 1 KPIs", [
        Column("Commitment"),
        Column("Reference"),
        Column("KPI"),
        Column("As at"),
        Column("Value", "number"),
        Column("Target", "number"),
        Column("Rating", "rating"),
        Column("Since the previous period"),
        Column("Since the same period last year"),
        Column("Commentary"),
    ])
    summary = Sheet("Ratings by commitment", [Column("Commitment"), *count_columns(), Column("Total", "number")])

    for group in groups:
        for line in group.rows:
            row = line.row
            kpis.rows.append([
                group.title,
                row.kpi.reference,
                row.kpi.name,
                row.period.label,
                measure(row.kpi, row.actual),
                target_cell(row.kpi, row.target, row.target_value, row.target_display),
                row.rating,
                row.direction_previous.label,
                row.direction_last_year.label,
                row.record.commentary if row.record else "",
            ])
        counts = group.counts
        summary.rows.append([group.title, *count_cells(counts), sum(counts.values())])

    return Export(
        title="Corporate dashboard",
        filename=f"corporate-dashboard-{period.code}",
        period_label=period_heading(period),
        scope="Tier 1 KPIs by Corporate Plan commitment",
        sheets=[kpis, summary],
    )


# The KPI list ---------------------------------------------------------------


def kpi_list_export(request) -> Export:
    """List every active KPI that the list page's filters and sort order select, without paging."""
    kpis = Kpi.objects.active().select_related("directorate", "service", "owner")
    filterset = KpiFilter(request.GET, queryset=kpis)
    table = KpiTable(filterset.qs)
    RequestConfig(request, paginate=False).configure(table)

    sheet = Sheet("KPIs", [
        Column("Reference"),
        Column("Name"),
        Column("Tier"),
        Column("Directorate"),
        Column("Service"),
        Column("Unit"),
        Column("Polarity"),
        Column("Frequency"),
        Column("Owner"),
    ])
    for bound_row in table.rows:
        kpi = bound_row.record
        sheet.rows.append([
            kpi.reference,
            kpi.name,
            kpi.get_tier_display(),
            str(kpi.directorate or ""),
            str(kpi.service or ""),
            kpi.get_unit_display(),
            kpi.get_polarity_display(),
            kpi.get_frequency_display(),
            person(kpi.owner),
        ])

    return Export(
        title="KPIs",
        filename="kpis",
        period_label="Not period-specific",
        scope="Active KPIs",
        sheets=[sheet],
        details=filter_details(filterset) or [("Filters", "None")],
    )


def filter_details(filterset: KpiFilter) -> list[tuple[str, str]]:
    """Return the filters in force as (label, chosen value) lines for the About sheet."""
    form = filterset.form
    if not form.is_valid():
        return []
    details = []
    for name, value in form.cleaned_data.items():
        if value in (None, ""):
            continue
        form_field = form.fields[name]
        labels = {str(key): label for key, label in getattr(form_field, "choices", ())}
        chosen = labels.get(str(value), value)
        details.append((f"Filter: {form_field.label}", str(chosen)))
    return details


# One KPI's values -----------------------------------------------------------


def kpi_values_export(kpi: Kpi) -> Export:
    """List every due period of the KPI, as its page does, oldest first."""
    history = kpi_history(kpi)
    sheet = Sheet(f"{kpi.reference} values", [
        Column("Period"),
        Column("Value", kind_for_unit(kpi.unit), kpi.decimal_places),
        Column("Target", kind_for_unit(kpi.unit), kpi.decimal_places),
        Column("Rating", "rating"),
        Column("Published rating"),
        *NARRATIVE_COLUMNS,
    ])
    for row in history:
        sheet.rows.append([
            row.period.label,
            measure(kpi, row.actual),
            target_cell(kpi, row.target, row.target_value, row.target_display),
            row.rating,
            row.record.published_rating if row.record else "",
            *narrative(row.record),
        ])

    span = f"{history[0].period.label} to {history[-1].period.label}" if history else "No values yet"
    return Export(
        title=f"{kpi.reference} {kpi.name}",
        filename=f"kpi-{slugify(kpi.reference)}-values",
        period_label=span,
        scope=f"KPI {kpi.reference}: {kpi.get_unit_display()}, {kpi.get_polarity_display().lower()}",
        sheets=[sheet],
    )


# Monthly returns -----------------------------------------------------------


def my_returns_export(user, period: Period, *, today: date) -> Export:
    """List the user's own KPI returns and actions for the period, in the order of My returns."""
    summary = returns_status.my_returns(user, period, today=today)
    kpi_sheet = Sheet("KPI returns", [
        Column("Reference"),
        Column("KPI"),
        Column("Status"),
        Column("Overdue"),
        Column("Value", "number"),
        Column("Target"),
        Column("Rating", "rating"),
        *NARRATIVE_COLUMNS,
    ])
    for row in summary.kpi_returns:
        kpi_sheet.rows.append([
            row.kpi.reference,
            row.kpi.name,
            row.status_label if row.is_due else row.not_due_note,
            yes_no(row.is_overdue),
            measure(row.kpi, row.record.value if row.record else None),
            row.target_display,
            row.rating if row.is_due else None,
            *narrative(row.record),
        ])

    action_sheet = Sheet("Actions", [
        Column("Reference"),
        Column("Action"),
        Column("Kind"),
        Column("Starts", "date"),
        Column("Ends", "date"),
        Column("Forecast end", "date"),
        Column("Status"),
        Column("Overdue"),
        Column("Rating", "rating"),
        *NARRATIVE_COLUMNS,
    ])
    for action in summary.actions:
        item = action.item
        action_sheet.rows.append([
            item.reference,
            item.title,
            item.get_kind_display(),
            item.start_on,
            item.end_on,
            item.forecast_end_on,
            action.status_label,
            yes_no(action.is_overdue),
            action.rating,
            *narrative(item),
        ])

    return Export(
        title="My returns",
        filename=f"my-returns-{period.code}",
        period_label=period.long_label,
        scope=f"Returns entered by {person(user)}",
        sheets=[kpi_sheet, action_sheet],
        details=[("Deadline", summary.deadline), ("Period locked", yes_no(summary.is_locked))],
    )


def sign_off_export(user, period: Period) -> Export:
    """List the submitted returns waiting for the user's sign-off, as the sign-off page does."""
    sheet = Sheet("Waiting for sign-off", [
        Column("Reference"),
        Column("KPI"),
        Column("Service"),
        Column("Value", "number"),
        *NARRATIVE_COLUMNS,
        Column("Submitted by"),
        Column("Submitted at", "datetime"),
    ])
    for record in returns_status.returns_to_sign_off(user, period):
        sheet.rows.append([
            record.kpi.reference,
            record.kpi.name,
            str(record.kpi.service or ""),
            measure(record.kpi, record.value),
            *narrative(record),
            person(record.updated_by),
            record.updated_at,
        ])

    return Export(
        title="Returns waiting for sign-off",
        filename=f"sign-off-{period.code}",
        period_label=period.long_label,
        scope=sign_off_scope(user),
        sheets=[sheet],
    )


def sign_off_scope(user) -> str:
    if user.has_perm("kpis.view_completeness"):
        return "Submitted returns in every service"
    service = getattr(getattr(user, "profile", None), "service", None)
    return f"Submitted returns in {service}" if service else "Submitted returns in your service"


def completeness_export(period: Period, *, today: date) -> Export:
    """Count due returns by status per service, and list the overdue returns and, once locked, the locked values."""
    report = returns_status.completeness(period, today=today)
    status_columns = [Column(label, "number") for label in returns_status.STATUS_LABELS.values()]
    by_service = Sheet("By service", [Column("Directorate"), Column("Service"), *status_columns,
                                      Column("Total", "number")])
    for row in [*report.rows, *([report.totals] if report.rows else [])]:
        by_service.rows.append([row.directorate, row.service, *row.cells, row.total])

    overdue = Sheet("Overdue", [
        Column("Reference"), Column("KPI"), Column("Owner"), Column("Owner email"), Column("Service"), Column("Status"),
    ])
    for row in report.overdue:
        owner = row.kpi.owner
        overdue.rows.append([
            row.kpi.reference,
            row.kpi.name,
            person(owner) or "No owner",
            owner.email if owner else "",
            str(row.kpi.service or ""),
            row.status_label,
        ])

    sheets = [by_service, overdue]
    if report.is_locked:
        locked = Sheet("Locked values", [Column("Reference"), Column("KPI"), Column("Value", "number"),
                                         Column("Unlocked")])
        for row in report.locked_values:
            locked.rows.append([row.kpi.reference, row.kpi.name, measure(row.kpi, row.record.value),
                                yes_no(row.record.is_unlocked)])
        sheets.append(locked)

    return Export(
        title="Returns completeness",
        filename=f"completeness-{period.code}",
        period_label=period.long_label,
        scope="Every directorate and service",
        sheets=sheets,
        details=[
            ("Deadline", report.deadline),
            ("Period locked", yes_no(report.is_locked)),
            ("Not due this period", f"{report.not_due} quarterly or annual KPIs"),
        ],
    )


# The golden thread -----------------------------------------------------------


THREAD_COLUMNS = [
    Column("Section"),
    Column("Layer"),
    Column("Kind"),
    Column("Reference"),
    Column("Title"),
    Column("Parent"),
    Column("Rating", "rating"),
    *[Column(f"{rating.label} beneath", "number") for rating in RATING_ORDER],
]


def thread_export(period: Period) -> Export:
    """Flatten the tree into one sheet, parents before children, then the items and KPIs with no parent."""
    tree = build_tree(period)
    rows = []
    for node in tree.roots:
        rows.extend(node_rows(node, "Plan", parent=""))
    for node in tree.orphans:
        rows.extend(node_rows(node, "No parent", parent=""))
    for kpi_row in tree.orphan_kpis:
        rows.append(kpi_line(kpi_row, "No parent", parent=""))

    return Export(
        title="Golden thread",
        filename=f"golden-thread-{period.code}",
        period_label=period_heading(period),
        scope="Every item of the golden thread with the ratings of the KPIs and actions beneath it",
        sheets=[Sheet("Golden thread", THREAD_COLUMNS, rows)],
    )


def node_rows(node: Node, section: str, *, parent: str) -> list[list]:
    """Return the node's row followed by its children's and its KPIs', depth first, as the page nests them."""
    item = node.item
    rows = [[
        section,
        item.layer_name,
        item.get_kind_display(),
        item.reference,
        item.title,
        parent,
        node.rating,
        *count_cells(node.counts),
    ]]
    for child in node.children:
        rows.extend(node_rows(child, section, parent=str(item)))
    for kpi_row in node.kpi_rows:
        rows.append(kpi_line(kpi_row, section, parent=str(item)))
    return rows


def kpi_line(row, section: str, *, parent: str) -> list:
    blank_counts = [None] * len(RATING_ORDER)
    return [section, "KPIs", "KPI", row.kpi.reference, row.kpi.name, parent, row.rating, *blank_counts]
