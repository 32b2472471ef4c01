"""Real workbooks, and real files that only pretend to be workbooks, for the Excel import tests.

Each builder writes the file with the library a desktop program would leave
behind (openpyxl for .xlsx, raw bytes for the rest) and returns its bytes.
"""

import io
import zipfile
from datetime import datetime

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HEADERS = [
    "KPI reference", "Value", "Numerator", "Denominator", "Commentary",
    "Cause", "Recovery", "Support needed", "Submit? (Y/N)", "Period", "Version",
]


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def returns_workbook(rows, *, headers=HEADERS, sheet="Returns", epoch=None, before=None, after=None) -> bytes:
    """A workbook with one returns sheet: `rows` are dicts keyed by header text.

    A value may be a (value, number_format) pair. `before(sheet)` runs before
    the rows are written and `after(sheet)` after, to add the mess a test needs.
    """
    workbook = openpyxl.Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(headers)
    if before:
        before(worksheet)
    for values in rows:
        worksheet.append([plain(values.get(header)) for header in headers])
        for index, header in enumerate(headers, start=1):
            given = values.get(header)
            if isinstance(given, tuple):
                worksheet.cell(row=worksheet.max_row, column=index).number_format = given[1]
    if after:
        after(worksheet)
    return workbook_bytes(workbook)


def plain(value):
    return value[0] if isinstance(value, tuple) else value


def mac_1904_workbook(rows) -> bytes:
    return returns_workbook(rows, epoch=CALENDAR_MAC_1904)


def xlsm_bytes(rows) -> bytes:
    """A macro-enabled workbook: the .xlsx parts plus a vbaProject part and the macro content type."""
    source = zipfile.ZipFile(io.BytesIO(returns_workbook(rows)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real macro project")
    return buffer.getvalue()


def xls_bytes() -> bytes:
    """The start of an Excel 97-2003 (.xls) file: an OLE2 compound document header."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def csv_bytes() -> bytes:
    return "KPI reference,Value\nCS01,85\n".encode()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_like_bytes() -> bytes:
    """A zip that is not a workbook, as a Word document is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def zip_bomb_bytes(unpacked_bytes: int) -> bytes:
    """A workbook with an extra part of zeros that deflates about a thousand to one."""
    source = zipfile.ZipFile(io.BytesIO(returns_workbook([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/media/padding.bin", b"\x00" * unpacked_bytes)
    return buffer.getvalue()


def many_entries_bytes(count: int) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(returns_workbook([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for number in range(count):
            target.writestr(f"xl/media/image{number}.png", b"x")
    return buffer.getvalue()


def as_at(day: int = 30) -> datetime:
    return datetime(2014, 9, day)


def patch_sheet(data: bytes, old: str, new: str, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """Rewrite text in one part of a workbook, for what openpyxl cannot write itself.

    Used to give a formula the result Excel would have saved with it, and to
    write the wrong dimension record some programs leave behind.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == part:
                text = content.decode()
                assert old in text, f"{old!r} is not in {part}"
                content = text.replace(old, new).encode()
            target.writestr(item, content)
    return buffer.getvalue()
