"""Reading uploaded returns workbooks, and writing the returns template.

Reading is defensive because the files come from people's desktops:

- The zip directory is checked before openpyxl opens the file, so an
  oversized file, a zip bomb or something that is not a workbook is rejected
  with a plain message. zipfile never inflates an entry past the size its
  directory declares, so checking the declared sizes bounds the work.
- Cells are streamed (`read_only=True, data_only=True`) and the walk stops
  after `EMPTY_ROWS_TO_STOP` empty rows in a row, so stray formatting far
  below the data (or a dimension record that lies) costs nothing.
- Read-only mode hides two things the rows need: which empty cells are
  formulas Excel never calculated, and the merged ranges. One extra
  streaming pass over the sheet's XML collects both (`scan_sheet_xml`);
  a normal (non read-only) load would find them too but keeps every cell
  of the workbook in memory.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from django.conf import settings
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.styles import Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import iterparse

from reporting import excel as writer

NOT_A_WORKBOOK = "This file is not an Excel workbook (.xlsx). Save it as .xlsx and upload again."
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# A 5,000-row returns sheet deflates about 10 to 1 (measured). Far more than the limit means padding.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_ENTRIES = 1000
HEADER_SEARCH_ROWS = 20
EMPTY_ROWS_TO_STOP = 50

EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"})
MISSING_MARKERS = frozenset({"n/a", "na", "#n/a", "-", "–", "—", "..", "not available"})

# The columns of a returns sheet: the first header is the template's, the others are accepted too.
RETURN_COLUMNS = {
    "reference": ("KPI reference", "Reference", "KPI ref", "Ref"),
    "name": ("KPI name", "Name"),
    "value": ("Value", "Actual"),
    "numerator": ("Numerator",),
    "denominator": ("Denominator",),
    "commentary": ("Commentary", "Comment", "Comments"),
    "cause": ("Cause",),
    "recovery": ("Recovery",),
    "support_needed": ("Support needed",),
    "submit": ("Submit? (Y/N)", "Submit"),
    "period": ("Period", "As at", "Period code"),
    "version": ("Version",),
}

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class WorkbookError(Exception):
    """An upload that cannot be read at all. The message explains what to do next."""


@dataclass
class Cell:
    """One cell as read: its value, and what the reader needs to interpret it."""

    ref: str
    value: object = None
    number_format: str = "General"
    is_error: bool = False
    is_uncached_formula: bool = False

    @property
    def is_blank(self) -> bool:
        if self.is_uncached_formula or self.is_error:
            return False
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())

    @property
    def is_percent_format(self) -> bool:
        """Whether Excel shows the cell as a percentage: a bare % in the format, not a quoted "%" label."""
        unquoted = re.sub(r'"[^"]*"|\\.', "", self.number_format or "")
        return "%" in unquoted


@dataclass
class Row:
    number: int
    cells: dict[str, Cell]

    def cell(self, key: str) -> Cell | None:
        return self.cells.get(key)


@dataclass
class Table:
    """The rows of one sheet below its header row, keyed by the column keys asked for."""

    sheet: str
    header_row: int
    columns: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    rows_visited: int = 0
    epoch: datetime = openpyxl.utils.datetime.WINDOWS_EPOCH

    def ref(self, key: str, row_number: int) -> str:
        column = self.columns.get(key)
        if column is None:
            return f"{quote_sheetname(self.sheet)}!{row_number}:{row_number}"
        return f"{quote_sheetname(self.sheet)}!{column}{row_number}"


def max_bytes() -> int:
    return getattr(settings, "PMF_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def quote_sheetname(name: str) -> str:
    """Quote a sheet name as Excel does in a reference: Returns!D7, but 'My returns'!D7."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def normalise_header(text) -> str:
    """Header text reduced to lower-case words, so "Submit? (Y/N)" matches "submit y n"."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip() if text is not None else ""


# Checking the archive ------------------------------------------------------


def check_archive(data: bytes) -> None:
    """Reject a file that is too big, not a workbook, or built to unpack far larger than it is."""
    limit = max_bytes()
    if len(data) > limit:
        raise WorkbookError(
            f"This file is {megabytes(len(data))}, over the {megabytes(limit)} limit. "
            "Remove other sheets or split the returns into smaller files."
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError(NOT_A_WORKBOOK)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise WorkbookError(NOT_A_WORKBOOK) from error
    check_entries(entries)


def check_entries(entries: list[zipfile.ZipInfo]) -> None:
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise WorkbookError(NOT_A_WORKBOOK)
    too_big = (
        "This file unpacks to far more data than a returns workbook holds, so it was not opened. "
        "Copy the returns into a new workbook, save it as .xlsx and upload again."
    )
    if len(entries) > MAX_ENTRIES:
        raise WorkbookError(too_big)
    unpacked_limit = getattr(settings, "PMF_IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)
    if sum(entry.file_size for entry in entries) > unpacked_limit:
        raise WorkbookError(too_big)
    for entry in entries:
        if entry.file_size >= RATIO_CHECK_FROM_BYTES and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
            raise WorkbookError(too_big)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# Reading a sheet -----------------------------------------------------------


def read_table(data: bytes, columns: dict[str, tuple[str, ...]], *, key_column: str, prefer_sheet: str = "") -> Table:
    """Read the first sheet (or `prefer_sheet`) whose header row names `key_column`.

    `columns` maps a key to the header texts that may name it. Raises
    WorkbookError when the file cannot be read or no sheet has the headers.
    """
    check_archive(data)
    workbook = open_workbook(data)
    try:
        for worksheet in sheets_in_order(workbook, prefer_sheet):
            header = find_header(worksheet, columns)
            if header is not None and key_column in header[1]:
                return read_rows(data, workbook, worksheet, *header)
    finally:
        workbook.close()
    wanted = " / ".join(f"“{name}”" for name in columns[key_column][:1])
    raise WorkbookError(
        f"No sheet has a header row with a {wanted} column. "
        "Start from the returns template, keep its header row, and upload again."
    )


def open_workbook(data: bytes):
    try:
        # keep_vba=False: the macros of an .xlsm are dropped unread, never run.
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
        )
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as error:
        raise WorkbookError(NOT_A_WORKBOOK) from error


def sheets_in_order(workbook, prefer_sheet: str):
    worksheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]
    return sorted(worksheets, key=lambda sheet: sheet.title != prefer_sheet)


def find_header(worksheet, columns: dict[str, tuple[str, ...]]) -> tuple[int, dict[str, str]] | None:
    """Find the header row in the first rows: its number and the column letter of each key it names."""
    aliases = {normalise_header(alias): key for key, names in columns.items() for alias in names}
    worksheet.reset_dimensions()
    for number, values in enumerate(worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
        found = {}
        for index, text in enumerate(values, start=1):
            key = aliases.get(normalise_header(text))
            if key and key not in found:
                found[key] = get_column_letter(index)
        if len(found) >= 2:
            return number, found
    return None


def read_rows(data: bytes, workbook, worksheet, header_row: int, columns: dict[str, str]) -> Table:
    """Stream the rows below the header, stopping after a run of empty rows."""
    formulas, merges = scan_sheet_xml(data, worksheet_path(worksheet))
    table = Table(sheet=worksheet.title, header_row=header_row, columns=columns, epoch=workbook.epoch)
    wanted = {column_index_from_string(letter): key for key, letter in columns.items()}
    merged = MergedValues(merges)
    empty_run = 0
    for number, cells in enumerate(
        worksheet.iter_rows(min_row=header_row + 1, max_col=max(wanted)), start=header_row + 1
    ):
        table.rows_visited += 1
        row = Row(number=number, cells={})
        has_data = False
        for index, key in wanted.items():
            source = cells[index - 1] if index - 1 < len(cells) else None
            cell, own_data = read_cell(table.sheet, source, number, index, formulas, merged)
            row.cells[key] = cell
            has_data = has_data or own_data
        if has_data:
            table.rows.append(row)
            empty_run = 0
            continue
        empty_run += 1
        if empty_run >= EMPTY_ROWS_TO_STOP:
            break
    return table


def read_cell(sheet: str, source, row: int, column: int, formulas: set[str], merged: "MergedValues"):
    """Turn an openpyxl read-only cell into a Cell, with a flag set when the cell itself contains data."""
    coordinate = f"{get_column_letter(column)}{row}"
    ref = f"{quote_sheetname(sheet)}!{coordinate}"
    value = getattr(source, "value", None)
    number_format = getattr(source, "number_format", None) or "General"
    if value is None and coordinate in formulas:
        return Cell(ref, number_format=number_format, is_uncached_formula=True), True
    is_error = getattr(source, "data_type", None) == "e" or (isinstance(value, str) and value.strip() in EXCEL_ERRORS)
    cell = Cell(ref, value, number_format, is_error=is_error)
    merged.remember(row, column, cell)
    if cell.is_blank:
        covering = merged.covering(row, column)
        if covering is not None:
            # A merged cell repeats on every row it covers, but alone does not make a row worth reading.
            return Cell(ref, covering.value, covering.number_format, is_error=covering.is_error), False
        return cell, False
    return cell, True


def worksheet_path(worksheet) -> str:
    # NOTE: openpyxl keeps the part name of a read-only sheet only as a private attribute.
    return worksheet._worksheet_path


class MergedValues:
    """The value of each merged range's top-left cell, offered to every cell the range covers."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]):
        self.anchor_points = {(min_row, min_col) for min_col, min_row, _, _ in ranges}
        self.by_column: dict[int, list[tuple[int, int, int, int]]] = {}
        for bounds in ranges:
            min_col, _, max_col, _ = bounds
            for column in range(min_col, max_col + 1):
                self.by_column.setdefault(column, []).append(bounds)
        self.anchors: dict[tuple[int, int], Cell] = {}

    def remember(self, row: int, column: int, cell: Cell) -> None:
        if (row, column) in self.anchor_points:
            self.anchors[(row, column)] = cell

    def covering(self, row: int, column: int) -> Cell | None:
        for min_col, min_row, _, max_row in self.by_column.get(column, ()):
            if min_row <= row <= max_row and (row, column) != (min_row, min_col):
                return self.anchors.get((min_row, min_col))
        return None


def scan_sheet_xml(data: bytes, path: str) -> tuple[set[str], list[tuple[int, int, int, int]]]:
    """Coordinates of formulas without a saved result, and the merged ranges, in one streaming pass.

    A formula Excel has calculated keeps its result in `<v>`; one written by a
    program and never opened in Excel has none. A string formula whose result
    is empty (`t="str"`) is a saved result, not a missing one.
    """
    formulas: set[str] = set()
    merges: list[tuple[int, int, int, int]] = []
    sheet_data = None
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path.lstrip("/")) as source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == f"{MAIN_NS}sheetData":
                    sheet_data = element
                continue
            if element.tag == f"{MAIN_NS}c":
                if element.find(f"{MAIN_NS}f") is not None and not element.findtext(f"{MAIN_NS}v") and element.get("t") != "str":
                    formulas.add(element.get("r"))
            elif element.tag == f"{MAIN_NS}row" and sheet_data is not None:
                # Drop finished rows so memory stays flat however long the sheet is.
                sheet_data.clear()
            elif element.tag == f"{MAIN_NS}mergeCell":
                merges.append(range_boundaries(element.get("ref")))
    return formulas, merges


# Interpreting cell values ----------------------------------------------------


def number_text(cell: Cell, *, as_percentage: bool = False) -> str | None:
    """Convert a number cell to the text `parse_return` reads: None when missing, never "0" for a blank.

    Excel stores numbers as binary floats and shows at most 15 significant
    digits, so 0.1 + 0.2 reads as 0.3. A cell formatted as a percentage
    contains 0.85 for 85%, which a percentage KPI stores as 85.
    """
    value = cell.value
    if cell.is_blank or cell.is_error:
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        return str(value)
    if isinstance(value, (int, float)):
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        if as_percentage and cell.is_percent_format:
            number *= 100
        return decimal_text(number)
    text = str(value).strip()
    if text.lower() in MISSING_MARKERS:
        return None
    if as_percentage and text.endswith("%"):
        text = text[:-1].strip()
    return text


def decimal_text(number: Decimal) -> str:
    """Plain notation without trailing zeros: Decimal("85.000") reads "85", Decimal("1E+2") "100"."""
    text = format(number.normalize(), "f")
    return text


def plain_text(cell: Cell) -> str:
    value = cell.value
    if cell.is_blank or cell.is_error:
        return ""
    if isinstance(value, float):
        return decimal_text(Decimal(format(value, ".15g")))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


def cell_date(cell: Cell, epoch: datetime) -> date | None:
    """Read a date cell, or a bare serial number in the workbook's own date system (1900 or 1904)."""
    value = cell.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return openpyxl.utils.datetime.from_excel(value, epoch).date()
    return None


# The returns template --------------------------------------------------------

TEMPLATE_SHEET = "Returns"
TEMPLATE_HEADERS = (
    "KPI reference", "KPI name", "Unit", "Polarity", "Target", "Last value", "Last value period",
    "Value", "Numerator", "Denominator", "Commentary", "Cause", "Recovery", "Support needed",
    "Submit? (Y/N)", "Period", "Version",
)
INPUT_HEADERS = (
    "Value", "Numerator", "Denominator", "Commentary", "Cause", "Recovery", "Support needed", "Submit? (Y/N)",
)
HIDDEN_HEADERS = ("Period", "Version")
LARGEST_NUMBER = 10**15


@dataclass
class TemplateRow:
    """The template's facts about one due KPI, read from a Scorecard."""

    kpi: object
    period: object
    target: object
    target_value: Decimal | None
    last_value: Decimal | None
    last_period: object
    version: int


def returns_template(rows: list[TemplateRow], *, period, scope: str, produced_at=None):
    """A workbook of due returns to fill in: one row per KPI, input cells unlocked, the rest protected.

    The hidden Period and Version columns let the import refuse a row that
    someone else changed after the template was made.
    """
    workbook = writer.new_workbook(
        f"Returns for {period.long_label}", period_label=period.long_label, scope=scope, produced_at=produced_at,
        details=[("How to fill it in", TEMPLATE_GUIDANCE)],
    )
    columns = [writer.Column(header, "number" if header == "Version" else "text") for header in TEMPLATE_HEADERS]
    sheet = writer.add_table(workbook, TEMPLATE_SHEET, columns, [template_values(row) for row in rows])
    protect_template(sheet, rows)
    return workbook


TEMPLATE_GUIDANCE = (
    "Fill in the Value (or, for a rate, the Numerator and Denominator) and the Commentary. "
    "Amber and Red results also need the Cause, Recovery and Support needed. "
    "Enter Y under Submit? to submit a return for sign-off; leave it blank to save a draft. "
    "A row you fill in replaces that KPI's return for the period; rows left blank are skipped. "
    "Leave a missing value blank: it is never read as zero."
)


def template_values(row: TemplateRow) -> list:
    kpi = row.kpi
    kind = writer.kind_for_unit(kpi.unit)
    return [
        kpi.reference,
        kpi.name,
        unit_text(kpi),
        kpi.get_polarity_display(),
        target_cell(row, kind),
        writer.Cell(row.last_value, kind, kpi.decimal_places),
        row.last_period.label if row.last_value is not None else "",
        None, None, None, None, None, None, None, None,
        row.period.code,
        row.version,
    ]


def unit_text(kpi) -> str:
    if kpi.is_rate:
        return f"Rate: {kpi.numerator_label} per {kpi.denominator_label}"
    return kpi.unit_label or kpi.get_unit_display()


def target_cell(row: TemplateRow, kind: str):
    target = row.target
    if target is None:
        return None
    if target.lower is not None and target.upper is not None and row.target_value is None:
        return f"{row.kpi.format(target.lower)} to {row.kpi.format(target.upper)}"
    return writer.Cell(row.target_value, kind, row.kpi.decimal_places)


def protect_template(sheet, rows: list[TemplateRow]) -> None:
    """Lock everything but the input cells, hide the conflict columns, and check typed numbers."""
    letters = {header: get_column_letter(index) for index, header in enumerate(TEMPLATE_HEADERS, start=1)}
    for number in range(2, len(rows) + 2):
        for header in INPUT_HEADERS:
            sheet[f"{letters[header]}{number}"].protection = Protection(locked=False)
    for header in HIDDEN_HEADERS:
        sheet.column_dimensions[letters[header]].hidden = True

    add_validations(sheet, rows, letters)
    sheet.protection.sheet = True
    # Protected, but people can still sort, filter and widen columns.
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    sheet.protection.formatColumns = False


def add_validations(sheet, rows: list[TemplateRow], letters: dict[str, str]) -> None:
    percentage = number_validation(0, 100, "Enter a percentage from 0 to 100, such as 85.5.")
    number = number_validation(-LARGEST_NUMBER, LARGEST_NUMBER, "Enter a number, such as 1234.5.")
    submit = DataValidation(type="list", formula1='"Y,N"', allow_blank=True, showErrorMessage=True,
                            errorTitle="Submit?", error="Enter Y to submit for sign-off, or N for a draft.")
    for number_row, row in enumerate(rows, start=2):
        is_percentage = row.kpi.unit == "percentage" and not row.kpi.allows_over_100 and not row.kpi.is_rate
        (percentage if is_percentage else number).add(f"{letters['Value']}{number_row}")
        number.add(f"{letters['Numerator']}{number_row}:{letters['Denominator']}{number_row}")
        submit.add(f"{letters['Submit? (Y/N)']}{number_row}")
    for validation in (percentage, number, submit):
        if validation.sqref.ranges:
            sheet.add_data_validation(validation)


def number_validation(lowest, highest, message: str):
    return DataValidation(
        type="decimal", operator="between", formula1=str(lowest), formula2=str(highest), allow_blank=True,
        showErrorMessage=True, errorTitle="Not a number", error=message,
    )
