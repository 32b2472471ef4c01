"""Each page with an export links to it, carrying the page's period or filters."""

from django.urls import reverse


def test_dashboard_links_its_workbook(client_for, officer, make_kpi, make_target, make_value):
    kpi = make_kpi("DL01")
    make_target(kpi, "85")
    make_value(kpi, "2014-09", "90")
    html = client_for(officer).get(reverse("reporting:dashboard"), {"period": "2014-09"}).content.decode()
    assert f'{reverse("exports:dashboard")}?period=2014-09' in html


def test_kpi_list_link_keeps_filters(client_for, officer, make_kpi):
    make_kpi("DL02")
    html = client_for(officer).get(reverse("kpis:list"), {"tier": "1"}).content.decode()
    assert f'{reverse("exports:kpi-list")}?tier=1' in html
    assert f'{reverse("exports:kpi-list-csv")}?tier=1' in html


def test_kpi_page_links_values(client_for, officer, make_kpi, make_value):
    make_value(make_kpi("DL03"), "2014-09", "90")
    html = client_for(officer).get(reverse("kpis:detail", args=["DL03"])).content.decode()
    assert reverse("exports:kpi-values", args=["DL03"]) in html
    assert reverse("exports:kpi-values-csv", args=["DL03"]) in html


def test_returns_pages_link_workbooks(client_for, officer, spp):
    mine = client_for(officer).get(reverse("returns:mine"), {"period": "2014-09"}).content.decode()
    assert f'{reverse("exports:my-returns")}?period=2014-09' in mine
    completeness = client_for(spp).get(reverse("returns:completeness"), {"period": "2014-09"}).content.decode()
    assert f'{reverse("exports:completeness")}?period=2014-09' in completeness


def test_my_returns_links_excel_upload(client_for, officer):
    html = client_for(officer).get(reverse("returns:mine"), {"period": "2014-09"}).content.decode()
    assert f'{reverse("excel-returns:upload")}?period=2014-09' in html


def test_golden_thread_links_its_workbook(client_for, officer, make_thread):
    make_thread()
    html = client_for(officer).get(reverse("golden_thread:tree"), {"period": "2014-09"}).content.decode()
    assert f'{reverse("exports:golden-thread")}?period=2014-09' in html
