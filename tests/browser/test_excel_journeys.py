"""Returns by Excel in the browser: download the template, fill it in, upload it, correct it, confirm it.

December 2014 (Q3) is due for the demonstration council's quarterly KPIs and
contains no values. Targets, each with the default 5% tolerance: RB01 95%,
RB02 90% (Amber from 85.5%, so 80.7% is Red), RB04 80% (Amber from 76%).
"""

import re
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from playwright.sync_api import expect

from kpis.models import Kpi, KpiValue, Target
from pmf.periods import Period

pytestmark = pytest.mark.browser

DECEMBER = Period(2014, 9)
TARGETS = {"RB01": Decimal("95"), "RB02": Decimal("90"), "RB04": Decimal("80")}
EXPLAINED = {
    "Cause": "Fewer payers moved to direct debit than planned.",
    "Recovery": "A direct debit reminder goes out with the February bills.",
    "Support needed": "None at present.",
}
GOOD_ROW = {"Value": 96.0, "Commentary": "Above target again.", "Submit? (Y/N)": "Y"}
# Amber needs a cause, a recovery and the support needed: this row lacks the cause.
AMBER_WITHOUT_CAUSE = {
    "Value": 77.0, "Commentary": "Slightly behind.", "Recovery": EXPLAINED["Recovery"],
    "Support needed": EXPLAINED["Support needed"], "Submit? (Y/N)": "Y",
}


@pytest.fixture
def december(demo):
    for reference, value in TARGETS.items():
        target = Target.objects.in_force(Kpi.objects.get(reference=reference).pk, DECEMBER)
        assert target.value == value
        assert target.tolerance == Decimal("0.05")
    assert not december_values().exists()


def december_values():
    return KpiValue.objects.filter(financial_year=DECEMBER.year, period=DECEMBER.number)


class ReturnsSheet:
    """The downloaded template's Returns sheet, filled in as an officer would, by header and KPI reference."""

    def __init__(self, path):
        self.workbook = openpyxl.load_workbook(path)
        self.sheet = self.workbook["Returns"]
        header = next(self.sheet.iter_rows(min_row=1, max_row=1))
        self.columns = {cell.value: get_column_letter(cell.column) for cell in header}
        self.rows = {row[0].value: row[0].row for row in self.sheet.iter_rows(min_row=2) if row[0].value}

    def ref(self, header: str, reference: str) -> str:
        return f"Returns!{self.columns[header]}{self.rows[reference]}"

    def fill(self, reference: str, values: dict) -> None:
        for header, value in values.items():
            self.sheet[f"{self.columns[header]}{self.rows[reference]}"] = value

    def save(self, path) -> None:
        self.workbook.save(path)


def download_template(journey, tmp_path) -> ReturnsSheet:
    page = journey.page
    with page.expect_download() as info:
        page.get_by_role("link", name="My returns for December 2014").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return ReturnsSheet(path)


def upload(journey, path) -> None:
    page = journey.page
    expect(page.get_by_label("Period")).to_have_value(DECEMBER.code)
    page.get_by_label("Returns workbook (.xlsx)").set_input_files(path)
    page.get_by_role("button", name="Check the workbook").click()


def test_rejected_workbook_corrected_then_saved(journey, december, sign_in_as, tmp_path):
    sign_in_as("officer")
    page = journey.page
    journey.open(f"/returns/excel/upload/?period={DECEMBER.code}")
    sheet = download_template(journey, tmp_path)
    assert {"RB01", "RB02", "RB04"} <= sheet.rows.keys()

    sheet.fill("RB01", GOOD_ROW)
    sheet.fill("RB02", {"Value": "80,75", "Commentary": "Behind target.", "Submit? (Y/N)": "Y"})
    sheet.fill("RB04", AMBER_WITHOUT_CAUSE)
    sheet.save(tmp_path / "with-problems.xlsx")
    upload(journey, tmp_path / "with-problems.xlsx")

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: there are problems in the workbook")
    problems = page.get_by_role("table", name="Problems to correct")
    expect(problems.locator("tbody tr")).to_have_count(2)
    comma_row = problems.get_by_role("row", name=re.compile(re.escape(sheet.ref("Value", "RB02"))))
    expect(comma_row).to_contain_text("RB02: Value must be a number such as 1,234.5.")
    expect(comma_row).to_contain_text("write a decimal point, not a decimal comma")
    cause_row = problems.get_by_role("row", name=re.compile(re.escape(sheet.ref("Cause", "RB04"))))
    expect(cause_row).to_contain_text("RB04: Cause is required because the rating is Amber")
    assert not december_values().exists()
    journey.check()

    sheet.fill("RB02", {"Value": "80.7", **EXPLAINED})
    sheet.fill("RB04", {"Cause": EXPLAINED["Cause"]})
    sheet.save(tmp_path / "corrected.xlsx")
    upload(journey, tmp_path / "corrected.xlsx")

    expect(page.get_by_role("heading", name="Check the returns before saving", level=1)).to_be_visible()
    preview = page.get_by_role("table", name="What will be saved")
    for reference, value, rating, outcome in [
        ("RB01", "96.0%", "Green", "Submit for sign-off"),
        ("RB02", "80.7%", "Red", "Submit for sign-off"),
        ("RB04", "77.0%", "Amber", "Submit for sign-off"),
    ]:
        row = preview.get_by_role("row", name=re.compile(rf"\b{reference} "))
        expect(row).to_contain_text(value)
        expect(row.locator(".rating")).to_contain_text(rating)
        expect(row).to_contain_text(outcome)
    assert not december_values().exists()
    journey.check()

    page.get_by_role("button", name="Confirm and save").click()

    expect(page.get_by_role("heading", name="My returns", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Saved 3 returns from corrected.xlsx.")
    saved = {record.kpi.reference: record for record in december_values().select_related("kpi")}
    assert {reference: (record.value, record.status) for reference, record in saved.items()} == {
        "RB01": (Decimal("96"), KpiValue.Status.SUBMITTED),
        "RB02": (Decimal("80.7"), KpiValue.Status.SUBMITTED),
        "RB04": (Decimal("77"), KpiValue.Status.SUBMITTED),
    }
    assert saved["RB04"].cause == EXPLAINED["Cause"]
    journey.check()
