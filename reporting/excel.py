"""The one workbook and CSV writer that every download uses.

Text is never run as a formula. In .xlsx, text starting with a formula character
is written as a string cell with Excel's "quote prefix" style. In CSV it gets a
leading single quote. Numbers stay numbers. Percentages are written as the number the portal shows (85.5 means
85.5%), never divided by 100. Datetimes are written as Europe/London local time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pmf.rag import Rating

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KINDS = ("text", "number", "percentage", "money", "days", "date", "datetime", "rating")

# Characters that make Excel, LibreOffice or Google Sheets read text as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN_RE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Excel keeps "History" for its own change-tracking sheet.
_RESERVED_SHEET_NAMES = {"history"}

_CELL_TEXT_MAX = 32_767
_WIDTH_MIN, _WIDTH_MAX = 8, 60

# The portal's rating colours (static/pmf/pmf.css): background and text.
RATING_COLOURS = {
    Rating.GREEN: ("CCE2D8", "005A30"),
    Rating.AMBER: ("FFF1C2", "6E3D00"),
    Rating.RED: ("F6D7D2", "942514"),
    Rating.NO_DATA: ("E5E6E7", "383F43"),
    Rating.NOT_RATED: ("E5E6E7", "383F43"),
}
_HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, the kind of value and, for numbers, decimal places."""

    header: str
    kind: str = "text"
    decimal_places: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}; expected one of {', '.join(KINDS)}.")


@dataclass(frozen=True)
class Cell:
    """A value whose kind differs row by row, such as a KPI value in a column of mixed units."""

    value: object
    kind: str = "number"
    decimal_places: int = 0


def kind_for_unit(unit: str) -> str:
    """Return the column kind for a KPI unit: "percentage", "money", "days" or "number"."""
    return {"percentage": "percentage", "money": "money", "days": "days"}.get(unit, "number")


def safe_text(value):
    """Return `value` so that no spreadsheet runs it as a formula.

    Text starting with =, +, -, @, a tab or a carriage return gets a leading single
    quote: "=SUM(A1)" becomes "'=SUM(A1)". Anything that is not a str (numbers,
    dates, None) is returned unchanged, so -5 stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def valid_sheet_name(name: str, used: set[str]) -> str:
    """Return a sheet name Excel accepts that is not in `used`, and add it to `used`.

    At most 31 characters, none of []:*?/\\, no apostrophe at either end, never
    "History", never empty, and unique without regard to case: a clash gets " (2)",
    " (3)" and so on, cutting the name to keep within 31 characters.
    """
    base = _clean_sheet_name(name)
    unavailable = {existing.casefold() for existing in used} | _RESERVED_SHEET_NAMES

    candidate = base
    number = 1
    while candidate.casefold() in unavailable:
        number += 1
        suffix = f" ({number})"
        candidate = _clean_sheet_name(base[: SHEET_NAME_MAX - len(suffix)]) + suffix

    used.add(candidate)
    return candidate


def _clean_sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_FORBIDDEN_RE.sub("-", str(name)).strip()
    cleaned = cleaned[:SHEET_NAME_MAX].strip().strip("'").strip()
    return cleaned or "Sheet"


def local_naive(value: datetime) -> datetime:
    """Return an aware datetime as Europe/London wall-clock time without tzinfo."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def new_workbook(
    title: str,
    *,
    period_label: str,
    scope: str,
    produced_at: datetime | None = None,
    details: Iterable[tuple[str, object]] = (),
) -> Workbook:
    """Create a workbook whose first sheet, "About", gives its title, period, scope and production time.

    `details` adds more lines, such as the filters applied to a list.
    """
    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = "pmf"

    about = workbook.active
    about.title = "About"
    lines = [
        ("Report", title),
        ("Period", period_label),
        ("Scope", scope),
        ("Produced", local_naive(produced_at or timezone.now())),
        *details,
        ("Ratings", "Each rating is written as its word: Green, Amber, Red, No data or Not rated."),
    ]
    for row_number, (label, value) in enumerate(lines, start=1):
        about.cell(row=row_number, column=1, value=label).font = Font(bold=True)
        _write(about.cell(row=row_number, column=2), value, "datetime" if isinstance(value, datetime) else "text", 0)
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 80
    return workbook


def add_table(workbook: Workbook, name: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]):
    """Add a sheet holding one table and return it.

    Bold header row, frozen below the header, an autofilter, number formats by
    column kind (or by a `Cell`'s own kind), ratings as words on their colour, and
    column widths fitted to the content.
    """
    sheet = workbook.create_sheet(valid_sheet_name(name, set(workbook.sheetnames)))
    widths = [len(column.header) for column in columns]

    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index)
        _write(header, column.header, "text", 0)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="top")

    row_count = 0
    for row_count, row in enumerate(rows, start=1):
        for index, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            kind, places = column.kind, column.decimal_places
            if isinstance(value, Cell):
                value, kind, places = value.value, value.kind, value.decimal_places
            displayed = _write(sheet.cell(row=row_count + 1, column=index), value, kind, places)
            widths[index - 1] = max(widths[index - 1], _longest_line(displayed))

    last_column = get_column_letter(max(len(columns), 1))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_column}{row_count + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX)
    return sheet


def _write(cell, value, kind: str, places: int) -> str:
    """Write one value to `cell` in the format for `kind`; return the text it shows, for sizing."""
    if value is None or value == "":
        cell.value = None
        return ""
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    if kind == "rating":
        return _write_rating(cell, value)
    if isinstance(value, datetime):
        cell.value = local_naive(value)
        cell.number_format = "dd/mm/yyyy hh:mm"
        return "00/00/0000 00:00"
    if isinstance(value, date):
        cell.value = value
        cell.number_format = "dd/mm/yyyy"
        return "00/00/0000"
    if isinstance(value, (int, Decimal, float)):
        cell.value = value
        cell.number_format = number_format(kind, places)
        return f"{value:,.{places}f}" + ("%" if kind == "percentage" else "")
    return _write_text(cell, str(value))


def _write_text(cell, text: str) -> str:
    is_formula_like = text.startswith(FORMULA_PREFIXES)
    # XML turns every line ending into "\n" when the file is read, so write "\n" and
    # a re-read cell equals what was written.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("", text)[:_CELL_TEXT_MAX]
    cell.value = text
    # openpyxl turns text starting "=" into a formula; a string cell with the quote
    # prefix is what Excel itself stores when someone types '=... into a cell.
    cell.data_type = "s"
    if is_formula_like:
        cell.quotePrefix = True
    if "\n" in text:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return text


def _write_rating(cell, value) -> str:
    rating = as_rating(value)
    if rating is None:
        return _write_text(cell, str(value))
    background, text = RATING_COLOURS[rating]
    cell.value = rating.label
    cell.fill = PatternFill("solid", fgColor=background)
    cell.font = Font(color=text, bold=rating in (Rating.RED, Rating.AMBER))
    return rating.label


def as_rating(value) -> Rating | None:
    """Return the Rating for a Rating, its stored value ("no_data") or its word ("No data")."""
    if isinstance(value, Rating):
        return value
    for rating in Rating:
        if value in (rating.value, rating.label):
            return rating
    return None


def number_format(kind: str, places: int) -> str:
    """Return the Excel number format for a kind: "#,##0" for counts, '0.0"%"' for 85.5%."""
    decimals = "." + "0" * places if places else ""
    if kind == "percentage":
        return f'0{decimals}"%"'
    if kind == "money":
        return f"£#,##0{decimals}"
    if kind == "days":
        return f'#,##0{decimals}" days"'
    return f"#,##0{decimals}"


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_response(workbook: Workbook, filename: str) -> HttpResponse:
    """Return the workbook as a download named `filename` (".xlsx" is added if missing)."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    return _download(workbook_bytes(workbook), XLSX_CONTENT_TYPE, filename)


def csv_response(columns: Sequence[Column], rows: Iterable[Sequence[object]], filename: str) -> HttpResponse:
    """Return the table as a UTF-8 CSV download that Excel opens with "£" intact.

    Text that could run as a formula is quoted by `safe_text`. Numbers are written
    plainly (85.5 for 85.5%), ratings as their word and datetimes as local time.
    """
    if not filename.lower().endswith(".csv"):
        filename += ".csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(column.header) for column in columns])
    for row in rows:
        writer.writerow([_csv_value(column, value) for column, value in zip(columns, row, strict=True)])
    # Without the byte order mark, Excel reads the file in the system code page.
    return _download(("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", filename)


def _csv_value(column: Column, value) -> object:
    kind = column.kind
    if isinstance(value, Cell):
        value, kind = value.value, value.kind
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind == "rating" and (rating := as_rating(value)) is not None:
        return rating.label
    if isinstance(value, datetime):
        return local_naive(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 86.125000 as stored is written 86.125
    if isinstance(value, (int, float)):
        return value
    return safe_text(str(value))


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    # Exports can hold unpublished figures: keep them out of shared caches.
    add_never_cache_headers(response)
    return response
