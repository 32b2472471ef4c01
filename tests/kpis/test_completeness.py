"""The completeness page: returns by status per directorate and service, and who is overdue."""

from datetime import datetime

import pytest
from django.urls import reverse

from kpis.models import KpiValue, PeriodLock
from pmf.periods import LONDON, Period

SEPTEMBER = Period.parse("2014-09")
URL = f"{reverse('returns:completeness')}?period={SEPTEMBER.code}"


@pytest.fixture(autouse=True)
def after_the_deadline(time_machine):
    """20 October 2014: September's deadline (14 October) has passed."""
    time_machine.move_to(datetime(2014, 10, 20, 9, 0, tzinfo=LONDON), tick=False)


@pytest.fixture
def returns(make_kpi, make_value, officer, outsider, highways, adult_social_care):
    """Highways: one signed off, one submitted, one draft, one not started. Adult social care: one returned."""
    def kpi(reference, service, owner, **fields):
        return make_kpi(reference, service=service, directorate=service.directorate, owner=owner, **fields)

    make_value(kpi("HW1", highways, officer), SEPTEMBER, "90", status=KpiValue.Status.SIGNED_OFF)
    make_value(kpi("HW2", highways, officer), SEPTEMBER, "90", status=KpiValue.Status.SUBMITTED)
    make_value(kpi("HW3", highways, officer), SEPTEMBER, "90", status=KpiValue.Status.DRAFT)
    kpi("HW4", highways, officer, name="Gullies cleared")
    kpi("HWQ", highways, officer, frequency="quarterly")  # due in September, a quarter end
    kpi("HWA", highways, officer, frequency="annual")  # not due until March
    make_value(kpi("AS1", adult_social_care, outsider, name="Care reviews"), SEPTEMBER, "50",
               status=KpiValue.Status.RETURNED)


def cells(page, service):
    """The numbers in the service's row, in the column order of the table."""
    row = page[page.index(f'<th scope="row">{service}</th>'):]
    row = row[:row.index("</tr>")]
    return [int(cell.split(">")[1].split("<")[0]) for cell in row.split('<td class="num"')[1:]]


def test_counts_by_status_per_service(client_for, spp, returns):
    page = client_for(spp).get(URL).content.decode()

    # Not started, Draft, Submitted, Returned, Signed off, Total
    assert cells(page, "Highways") == [2, 1, 1, 0, 1, 5]
    assert cells(page, "Adult social care") == [0, 0, 0, 1, 0, 1]
    assert "1 quarterly or annual KPI not due this period." in page


def test_overdue_list_names_the_owners(client_for, spp, returns):
    response = client_for(spp).get(URL)
    overdue = [row.kpi.reference for row in response.context["report"].overdue]

    assert sorted(overdue) == ["AS1", "HW3", "HW4", "HWQ"]
    page = response.content.decode()
    assert "Gullies cleared" in page
    assert "Outsider" in page


def test_only_spp_sees_completeness(client_for, officer, manager, director, board_member, returns):
    for user in (officer, manager, director, board_member):
        assert client_for(user).get(URL).status_code == 403


def test_navigation_offers_completeness_to_spp_only(client_for, spp, officer):
    link = f'href="{reverse("returns:completeness")}"'

    assert link in client_for(spp).get(reverse("returns:mine")).content.decode()
    assert link not in client_for(officer).get(reverse("returns:mine")).content.decode()


def test_locked_period_lists_values_to_unlock(client_for, spp, returns):
    PeriodLock.objects.create(financial_year=2014, period=6, changed_by=spp)

    page = client_for(spp).get(URL).content.decode()

    assert "This period is locked." in page
    signed_off = KpiValue.objects.get(kpi__reference="HW1")
    assert reverse("returns:unlock", args=[signed_off.pk]) in page


def test_htmx_gets_the_report_fragment(client_for, spp, returns):
    response = client_for(spp).get(URL, headers={"HX-Request": "true"})

    assert "<html" not in response.content.decode()
    assert 'id="completeness-report"' in response.content.decode()
    assert "HX-Request" in response["Vary"]


# The navigation reads the session, user and profile (SPP's permission needs
# no table). The report reads KPIs (with owners and services, but not their
# delegates), values, targets, target profiles, the deadline and the period lock.
COMPLETENESS_QUERIES = 9


def test_query_count_does_not_grow_with_kpis(client_for, spp, make_kpi, make_target, make_value, highways,
                                             officer, django_assert_num_queries):
    def add_returns(count):
        for _ in range(count):
            kpi = make_kpi(service=highways, owner=officer)
            make_target(kpi, "85", year=2014)
            make_value(kpi, SEPTEMBER, "90")

    client = client_for(spp)
    add_returns(2)
    with django_assert_num_queries(COMPLETENESS_QUERIES):
        client.get(URL)
    add_returns(20)
    with django_assert_num_queries(COMPLETENESS_QUERIES):
        response = client.get(URL)
    assert cells(response.content.decode(), "Highways")[-1] == 22
