"""Monthly returns in the browser: My returns, the form and its preview, sign-off, locking and history."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from golden_thread.models import ItemKind, ThreadItem
from kpis.models import KpiValue, PeriodLock, ReturnDeadline
from pmf.periods import LONDON, Period

SEPTEMBER = Period.parse("2014-09")
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def early_october(time_machine):
    """6 October 2014: September's returns are open and due by 14 October (the 10th working day)."""
    time_machine.move_to(datetime(2014, 10, 6, 12, 0, tzinfo=LONDON), tick=False)


@pytest.fixture
def kpi(make_kpi, make_target, officer, highways):
    kpi = make_kpi("HW01", name="Roads repaired on time", owner=officer, service=highways,
                   directorate=highways.directorate, decimal_places=2)
    make_target(kpi, "85", year=2014)
    return kpi


def return_url(kpi, period=SEPTEMBER):
    return reverse("returns:kpi-return", args=[kpi.pk, period.code])


def preview_url(kpi, period=SEPTEMBER):
    return reverse("returns:kpi-preview", args=[kpi.pk, period.code])


def mine_url(period=SEPTEMBER):
    return f"{reverse('returns:mine')}?period={period.code}"


def form_data(kpi, *, version=0, action="draft", **fields):
    data = {f"kpi-{kpi.pk}-{name}": value for name, value in fields.items()}
    data[f"kpi-{kpi.pk}-version"] = str(version)
    data["action"] = action
    return data


def record_of(kpi, period=SEPTEMBER):
    return KpiValue.objects.filter(kpi=kpi, financial_year=period.year, period=period.number).first()


# My returns -------------------------------------------------------------------


def test_my_returns_lists_owned_and_delegated_kpis_only(client_for, officer, outsider, kpi, make_kpi, highways):
    delegated = make_kpi("HW02", name="Potholes filled", owner=outsider, service=highways)
    delegated.delegates.add(officer)
    make_kpi("ASC1", name="Care reviews", owner=outsider)

    page = client_for(officer).get(mine_url()).content.decode()

    assert "HW01 Roads repaired on time" in page
    assert "HW02 Potholes filled" in page
    assert "Care reviews" not in page
    assert "by Tuesday 14 October 2014" in page


def test_my_returns_defaults_to_the_month_just_ended(client_for, officer, kpi):
    response = client_for(officer).get(reverse("returns:mine"))

    assert response.context["period"] == Period(2014, 6)  # September 2014, collected in October
    assert "September 2014 returns are due by" in response.content.decode()


def test_quarterly_kpi_not_due_in_august(client_for, officer, make_kpi, highways):
    make_kpi("HWQ", name="Quarterly survey", owner=officer, service=highways, frequency="quarterly")

    page = client_for(officer).get(mine_url(Period.parse("2014-08"))).content.decode()

    assert "Not due this period (quarterly)" in page
    assert "1 KPI not due in August 2014" in page
    assert 'name="kpi-' not in page


def test_overdue_returns_come_first_with_status(client_for, officer, make_kpi, make_value, highways, time_machine):
    submitted = make_kpi("A01", name="Already in", owner=officer, service=highways)
    make_value(submitted, SEPTEMBER, "90", status=KpiValue.Status.SUBMITTED)
    owed = make_kpi("Z99", name="Still owed", owner=officer, service=highways)
    time_machine.move_to(datetime(2014, 10, 20, 9, 0, tzinfo=LONDON), tick=False)

    page = client_for(officer).get(mine_url()).content.decode()

    assert page.index("Z99 Still owed") < page.index("A01 Already in")
    assert "Overdue" in page[page.index("Z99 Still owed"):page.index("A01 Already in")]
    assert "Submitted" in page
    assert "Not started" in page


def test_deadline_row_overrides_the_working_day_rule(client_for, officer, kpi):
    ReturnDeadline.objects.create(financial_year=2014, period=6, due_on=date(2014, 10, 3))

    page = client_for(officer).get(mine_url()).content.decode()

    assert "by Friday 3 October 2014" in page
    assert "Overdue" in page


# The navigation reads the session, user, profile and two permission tables.
# The page then reads KPIs, delegates, values, targets and target profiles,
# the deadline, the period lock, the actions and their history revisions.
MY_RETURNS_QUERIES = 14


def test_my_returns_query_count_constant(
    client_for, officer, make_kpi, make_target, make_value, highways, outsider, django_assert_num_queries
):
    def add_returns(count):
        for _ in range(count):
            kpi = make_kpi(owner=officer, service=highways, directorate=highways.directorate)
            kpi.delegates.add(outsider)
            make_target(kpi, "85", year=2014)
            make_value(kpi, SEPTEMBER, "80", cause="c", recovery="r", support_needed="s", status=KpiValue.Status.DRAFT)
            ThreadItem.objects.create(kind=ItemKind.TASK, title="Task", lead_officer=officer, financial_year=2014)

    client = client_for(officer)
    add_returns(2)
    with django_assert_num_queries(MY_RETURNS_QUERIES):
        client.get(mine_url())
    add_returns(18)
    with django_assert_num_queries(MY_RETURNS_QUERIES):
        response = client.get(mine_url())
    page = response.content.decode()
    assert page.count('class="return__form"') == 40
    assert page.count("rating--red") >= 20  # 80 is below 85 × 0.95


def test_htmx_request_gets_the_fragment_and_vary_header(client_for, officer, kpi):
    client = client_for(officer)

    full = client.get(mine_url())
    fragment = client.get(mine_url(), headers=HX)

    assert "<html" in full.content.decode()
    assert "<html" not in fragment.content.decode()
    assert 'id="returns-list"' in fragment.content.decode()
    assert "HX-Request" in full["Vary"]
    assert "HX-Request" in fragment["Vary"]


def test_history_restore_request_gets_the_full_page(client_for, officer, kpi):
    response = client_for(officer).get(
        return_url(kpi), headers={**HX, "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


def test_wrong_method_is_refused(client_for, officer, kpi):
    client = client_for(officer)

    assert client.post(reverse("returns:mine")).status_code == 405
    assert client.put(return_url(kpi)).status_code == 405
    assert client.get(preview_url(kpi)).status_code == 405


def test_anonymous_is_sent_to_sign_in(anonymous, kpi):
    response = anonymous.get(mine_url())

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# One return -------------------------------------------------------------------


def test_return_form_shows_value_commentary_and_version(client_for, officer, kpi):
    page = client_for(officer).get(return_url(kpi), headers=HX).content.decode()

    assert f'name="kpi-{kpi.pk}-value"' in page
    assert f'name="kpi-{kpi.pk}-commentary"' in page
    assert f'type="hidden" name="kpi-{kpi.pk}-version" value="0"' in page
    assert 'hx-trigger="input changed delay:300ms"' in page
    assert "<html" not in page


def test_rate_kpi_asks_for_numerator_and_denominator(client_for, officer, make_kpi, highways):
    rate = make_kpi("HWR", owner=officer, service=highways,
                    numerator_label="Repairs on time", denominator_label="Repairs due")

    page = client_for(officer).get(return_url(rate)).content.decode()

    assert "Repairs on time" in page

    assert "Repairs due" in page
    assert f'name="kpi-{rate.pk}-value"' not in page


def test_saving_a_rate_kpi_works_out_its_value(client_for, officer, make_kpi, make_target, highways):
    rate = make_kpi("HWR", owner=officer, service=highways,
                    numerator_label="Repairs on time", denominator_label="Repairs due")
    make_target(rate, "85", year=2014)

    client_for(officer).post(return_url(rate), form_data(rate, numerator="45", denominator="50"))

    assert record_of(rate).value == Decimal("90")


def test_preview_rates_the_typed_value(client_for, officer, kpi):
    response = client_for(officer).post(preview_url(kpi), form_data(kpi, value="90"), headers=HX)

    page = response.content.decode()
    assert "rating--green" in page
    assert "Green" in page
    assert 'hx-swap-oob="true"' in page
    assert 'data-visible="false"' in page


def test_preview_amber_shows_the_narrative_as_required(client_for, officer, kpi):
    page = client_for(officer).post(preview_url(kpi), form_data(kpi, value="80.75"), headers=HX).content.decode()

    assert "rating--amber" in page
    assert 'data-visible="true"' in page
    assert page.count(" required") >= 3
    assert "Cause (required)" in page


def test_preview_red_below_the_amber_band(client_for, officer, kpi):
    page = client_for(officer).post(preview_url(kpi), form_data(kpi, value="80.74"), headers=HX).content.decode()

    assert "rating--red" in page


def test_preview_explains_an_unreadable_number(client_for, officer, kpi):
    page = client_for(officer).post(preview_url(kpi), form_data(kpi, value="80,5"), headers=HX).content.decode()

    assert "decimal point" in page
    assert "rating--no_data" in page


def test_page_has_the_preview_live_region(client_for, officer, kpi):
    page = client_for(officer).get(return_url(kpi)).content.decode()

    assert f'id="kpi-{kpi.pk}-preview" aria-live="polite"' in page


def test_save_draft_without_javascript_redirects_with_a_message(client_for, officer, kpi):
    client = client_for(officer)

    response = client.post(return_url(kpi), form_data(kpi, value="90", commentary="Good month"))

    assert response.status_code == 302
    assert response["Location"] == mine_url()
    record = record_of(kpi)
    assert (record.value, record.status, record.version) == (Decimal("90"), KpiValue.Status.DRAFT, 1)
    assert "HW01 September 2014 saved as a draft." in client.get(response["Location"]).content.decode()


def test_submit_through_htmx_returns_the_refreshed_fragment(client_for, officer, kpi):
    response = client_for(officer).post(
        return_url(kpi), form_data(kpi, value="90", commentary="Good month", action="submit"), headers=HX
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "submitted for sign-off" in page
    assert f'name="kpi-{kpi.pk}-version" value="1"' in page
    assert record_of(kpi).status == KpiValue.Status.SUBMITTED


def test_amber_without_narrative_shows_summary_and_field_errors(client_for, officer, kpi):
    response = client_for(officer).post(return_url(kpi), form_data(kpi, value="80.75", action="submit"), headers=HX)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary" role="alert"' in page
    assert f'href="#id_kpi-{kpi.pk}-cause"' in page
    assert "Cause is required because the rating is Amber" in page
    assert f'id="id_kpi-{kpi.pk}-cause_error"' in page
    assert f'aria-describedby="id_kpi-{kpi.pk}-cause_helptext id_kpi-{kpi.pk}-cause_error"' in page
    assert record_of(kpi) is None


def test_unreadable_number_is_reported_beside_the_value(client_for, officer, kpi):
    page = client_for(officer).post(return_url(kpi), form_data(kpi, value="ninety")).content.decode()

    assert "<html" in page
    assert "Value must be a number" in page
    assert f'aria-invalid="true"' in page
    assert record_of(kpi) is None


def test_conflict_shows_their_value_and_keeps_my_typing(client_for, officer, spp, kpi):
    client_for(spp).post(return_url(kpi), form_data(kpi, value="88", commentary="SPP figure"))

    response = client_for(officer).post(
        return_url(kpi), form_data(kpi, value="91", commentary="My figure"), headers=HX
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "saved this return while you were editing it" in page
    assert "88.00%" in page
    assert "SPP figure" in page
    assert 'value="91"' in page
    assert "My figure" in page
    assert f'name="kpi-{kpi.pk}-version" value="1"' in page
    assert record_of(kpi).value == Decimal("88")


def test_saving_again_after_a_conflict_replaces_the_value(client_for, officer, spp, kpi):
    client_for(spp).post(return_url(kpi), form_data(kpi, value="88"))

    client_for(officer).post(return_url(kpi), form_data(kpi, version=1, value="91"))

    assert record_of(kpi).value == Decimal("91")


def test_locked_period_rejects_save(client_for, officer, spp, kpi, make_value):
    make_value(kpi, SEPTEMBER, "90", version=1)
    PeriodLock.objects.create(financial_year=2014, period=6, changed_by=spp)

    response = client_for(officer).post(return_url(kpi), form_data(kpi, version=1, value="70"), headers=HX)

    page = response.content.decode()
    assert "September 2014 is locked" in page
    assert 'value="70"' in page
    assert record_of(kpi).value == Decimal("90")


def test_locked_value_is_read_only_on_my_returns(client_for, officer, spp, kpi, make_value):
    make_value(kpi, SEPTEMBER, "90", version=1)
    PeriodLock.objects.create(financial_year=2014, period=6, changed_by=spp)

    page = client_for(officer).get(mine_url()).content.decode()

    assert "This period is locked." in page
    assert 'class="return__form"' not in page


def test_outsider_cannot_read_or_edit_another_services_return(client_for, outsider, kpi):
    client = client_for(outsider)

    assert client.get(return_url(kpi)).status_code == 403
    assert client.post(return_url(kpi), form_data(kpi, value="90")).status_code == 403
    assert client.post(preview_url(kpi), form_data(kpi, value="90")).status_code == 403
    assert record_of(kpi) is None


def test_manager_can_read_but_not_edit(client_for, manager, kpi):
    client = client_for(manager)

    assert client.get(return_url(kpi)).status_code == 200
    assert client.post(return_url(kpi), form_data(kpi, value="90")).status_code == 403


def test_post_without_csrf_token_is_refused(officer, kpi):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(return_url(kpi), form_data(kpi, value="90"))

    assert response.status_code == 403
    assert record_of(kpi) is None


def test_pages_carry_the_csrf_token_for_htmx(client_for, officer, kpi):
    page = client_for(officer).get(mine_url()).content.decode()

    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_unknown_period_or_kpi_is_not_found(client_for, officer, kpi):
    client = client_for(officer)

    assert client.get(reverse("returns:kpi-return", args=[kpi.pk, "2014-13"])).status_code == 404
    assert client.get(reverse("returns:kpi-return", args=[kpi.pk + 999, "2014-09"])).status_code == 404
    assert client.get(f"{reverse('returns:mine')}?period=nonsense").status_code == 404


# The whole cycle ----------------------------------------------------------------


def test_whole_cycle_from_entry_to_unlock(client_for, officer, manager, spp, kpi):
    as_officer, as_manager, as_spp = client_for(officer), client_for(manager), client_for(spp)

    # The officer saves an Amber draft with its narrative, then submits it.
    amber = dict(value="82", commentary="Weather", cause="Storms", recovery="Overtime", support_needed="None")
    as_officer.post(return_url(kpi), form_data(kpi, **amber))
    as_officer.post(return_url(kpi), form_data(kpi, version=1, action="submit", **amber))
    assert record_of(kpi).status == KpiValue.Status.SUBMITTED

    # The manager finds it on the sign-off page and returns it with a comment.
    sign_off_url = f"{reverse('returns:sign-off')}?period={SEPTEMBER.code}"
    assert "HW01 Roads repaired on time" in as_manager.get(sign_off_url).content.decode()
    record = record_of(kpi)
    as_manager.post(reverse("returns:return-for-changes", args=[record.pk]), {"comment": "Check the storm days"})
    assert record_of(kpi).status == KpiValue.Status.RETURNED

    # The officer reads the comment, corrects the value and resubmits.
    page = as_officer.get(mine_url()).content.decode()
    assert "Returned for changes" in page
    assert "Check the storm days" in page
    version = record_of(kpi).version
    as_officer.post(return_url(kpi), form_data(kpi, version=version, action="submit", **{**amber, "value": "83"}))
    assert record_of(kpi).status == KpiValue.Status.SUBMITTED

    # The manager signs it off in bulk.
    as_manager.post(sign_off_url, {"record": [record_of(kpi).pk]})
    assert record_of(kpi).status == KpiValue.Status.SIGNED_OFF

    # SPP locks the period: the officer can no longer change it.
    response = as_spp.post(reverse("returns:lock"), {"period": SEPTEMBER.code, "confirm": "on"})
    assert response.status_code == 302
    assert PeriodLock.objects.is_locked(SEPTEMBER)
    version = record_of(kpi).version
    refused = as_officer.post(return_url(kpi), form_data(kpi, version=version, **{**amber, "value": "84"}))
    assert "is locked" in refused.content.decode()
    assert record_of(kpi).value == Decimal("83")

    # SPP unlocks the one value with a reason; the officer changes it.
    as_spp.post(reverse("returns:unlock", args=[record_of(kpi).pk]), {"reason": "Late storm data"})
    version = record_of(kpi).version
    as_officer.post(return_url(kpi), form_data(kpi, version=version, action="submit", **{**amber, "value": "84"}))
    assert record_of(kpi).value == Decimal("84")

    # The history records every step with its reason.
    history = as_officer.get(reverse("returns:history", args=[record_of(kpi).pk])).content.decode()
    for reason in ("Saved as draft", "Returned for changes: Check the storm days", "Signed off",
                   "Unlocked: Late storm data"):
        assert reason in history
    assert "83.00%" in history
    assert "84.00%" in history


# Sign-off -----------------------------------------------------------------------


@pytest.fixture
def submitted(kpi, make_value, officer):
    return make_value(kpi, SEPTEMBER, "90", status=KpiValue.Status.SUBMITTED, updated_by=officer)


def sign_off_url(period=SEPTEMBER):
    return f"{reverse('returns:sign-off')}?period={period.code}"


def test_sign_off_one_at_a_time(client_for, manager, submitted, make_kpi, make_value, highways):
    other = make_value(make_kpi("HW09", service=highways), SEPTEMBER, "50", status=KpiValue.Status.SUBMITTED)

    response = client_for(manager).post(sign_off_url(), {"sign_off_one": submitted.pk, "record": [other.pk]})

    assert response.status_code == 302
    submitted.refresh_from_db()
    other.refresh_from_db()
    assert submitted.status == KpiValue.Status.SIGNED_OFF
    assert other.status == KpiValue.Status.SUBMITTED


def test_manager_sees_only_their_services_returns(client_for, manager, submitted, make_kpi, make_value,
                                                  adult_social_care):
    make_value(make_kpi("ASC1", name="Care reviews", service=adult_social_care), SEPTEMBER, "50",
               status=KpiValue.Status.SUBMITTED)

    page = client_for(manager).get(sign_off_url()).content.decode()

    assert "HW01" in page
    assert "Care reviews" not in page


def test_manager_cannot_sign_off_another_services_return(client_for, manager, make_kpi, make_value,
                                                         adult_social_care):
    theirs = make_value(make_kpi("ASC1", service=adult_social_care), SEPTEMBER, "50",
                        status=KpiValue.Status.SUBMITTED)
    client = client_for(manager)

    client.post(sign_off_url(), {"record": [theirs.pk]})
    refused = client.post(reverse("returns:return-for-changes", args=[theirs.pk]), {"comment": "No"})

    theirs.refresh_from_db()
    assert theirs.status == KpiValue.Status.SUBMITTED
    assert refused.status_code == 403


def test_return_for_changes_needs_a_comment(client_for, manager, submitted):
    response = client_for(manager).post(reverse("returns:return-for-changes", args=[submitted.pk]), {"comment": " "})

    assert response.status_code == 200
    assert "Comment is required" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == KpiValue.Status.SUBMITTED


def test_officer_and_outsider_cannot_open_sign_off(client_for, officer, outsider, submitted):
    assert client_for(officer).get(sign_off_url()).status_code == 403
    assert client_for(outsider).get(sign_off_url()).status_code == 403


# The session, user, profile and two permission tables (a manager is not SPP,
# so Django's own permission tables are read too). The list reads the
# submitted returns with their KPIs, owners and services in one query.
SIGN_OFF_QUERIES = 9


def test_sign_off_query_count_constant(client_for, manager, make_kpi, make_value, highways,
                                       django_assert_num_queries):
    def add_submitted(count):
        for _ in range(count):
            make_value(make_kpi(service=highways), SEPTEMBER, "90.5", status=KpiValue.Status.SUBMITTED)

    client = client_for(manager)
    add_submitted(2)
    with django_assert_num_queries(SIGN_OFF_QUERIES):
        client.get(sign_off_url())
    add_submitted(18)
    with django_assert_num_queries(SIGN_OFF_QUERIES):
        response = client.get(sign_off_url())
    page = response.content.decode()
    assert page.count('name="record"') == 20
    assert "90.5%" in page


def test_sign_off_fragment_for_htmx(client_for, manager, submitted):
    response = client_for(manager).get(sign_off_url(), headers=HX)

    assert "<html" not in response.content.decode()
    assert 'id="sign-off-list"' in response.content.decode()
    assert "HX-Request" in response["Vary"]


# Locking and unlocking -------------------------------------------------------------


def test_lock_needs_confirmation(client_for, spp):
    response = client_for(spp).post(reverse("returns:lock"), {"period": SEPTEMBER.code})

    assert response.status_code == 200
    assert "Tick the box" in response.content.decode()
    assert not PeriodLock.objects.is_locked(SEPTEMBER)


def test_only_spp_locks_and_unlocks(client_for, manager, officer, submitted):
    for user in (manager, officer):
        client = client_for(user)
        assert client.get(f"{reverse('returns:lock')}?period=2014-09").status_code == 403
        assert client.post(reverse("returns:lock"), {"period": "2014-09", "confirm": "on"}).status_code == 403
        assert client.post(reverse("returns:unlock", args=[submitted.pk]), {"reason": "x"}).status_code == 403
    assert not PeriodLock.objects.is_locked(SEPTEMBER)


def test_unlock_needs_a_reason(client_for, spp, submitted):
    PeriodLock.objects.create(financial_year=2014, period=6)

    response = client_for(spp).post(reverse("returns:unlock", args=[submitted.pk]), {"reason": ""})

    assert "Reason is required" in response.content.decode()
    submitted.refresh_from_db()
    assert not submitted.is_unlocked


# History ----------------------------------------------------------------------------


def test_history_lists_who_what_and_why(client_for, officer, kpi):
    client = client_for(officer)
    client.post(return_url(kpi), form_data(kpi, value="90", commentary="First"))
    client.post(return_url(kpi), form_data(kpi, version=1, value="92", commentary="Second", action="submit"))

    page = client.get(reverse("returns:history", args=[record_of(kpi).pk]), headers=HX).content.decode()

    assert "<html" not in page
    assert page.index("Submitted") < page.index("Saved as draft")  # newest first
    assert "90.00%" in page
    assert "92.00%" in page
    assert "First" in page
    assert "Second" in page
    assert "Officer" in page


def test_history_is_closed_to_other_services(client_for, outsider, submitted):
    assert client_for(outsider).get(reverse("returns:history", args=[submitted.pk])).status_code == 403


def test_history_page_for_director(client_for, director, submitted):
    response = client_for(director).get(reverse("returns:history", args=[submitted.pk]))

    assert response.status_code == 200
    assert "<html" in response.content.decode()


# Actions ------------------------------------------------------------------------------


@pytest.fixture
def action(officer, highways):
    return ThreadItem.objects.create(
        kind=ItemKind.KEY_ACTION, title="Resurface priority roads", reference="KA1", lead_officer=officer,
        service=highways, start_on=date(2014, 4, 1), end_on=date(2015, 3, 31), delivery_status="in_progress",
        owner_rating="green", financial_year=2014,
    )


def action_url(item):
    return f"{reverse('returns:action-update', args=[item.pk])}?period={SEPTEMBER.code}"


def action_data(item, client, **fields):
    page = client.get(action_url(item), headers=HX).content.decode()
    marker = f'name="action-{item.pk}-revision" value="'
    revision = page[page.index(marker) + len(marker):].split('"')[0]
    data = {f"action-{item.pk}-{name}": value for name, value in fields.items()}
    data[f"action-{item.pk}-revision"] = revision
    return data


def test_my_returns_lists_led_actions(client_for, officer, action):
    page = client_for(officer).get(mine_url()).content.decode()

    assert "KA1 Resurface priority roads" in page
    assert f'name="action-{action.pk}-delivery_status"' in page


def test_action_update_saves_with_a_reason_in_history(client_for, officer, action):
    client = client_for(officer)
    data = action_data(action, client, delivery_status="in_progress", owner_rating="green",
                       forecast_end_on="2015-02-28", commentary="On plan")

    response = client.post(action_url(action), data)

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.forecast_end_on == date(2015, 2, 28)
    assert action.commentary == "On plan"
    assert action.history.latest().history_change_reason == "Progress updated"


def test_action_amber_needs_the_narrative(client_for, officer, action):
    client = client_for(officer)
    data = action_data(action, client, delivery_status="in_progress", owner_rating="amber")

    page = client.post(action_url(action), data, headers=HX).content.decode()

    assert "Cause is required because the rating is Amber" in page
    action.refresh_from_db()
    assert action.owner_rating == "green"


def test_action_forced_red_needs_narrative(client_for, officer, action):
    action.end_on = date(2014, 9, 30)
    action.save()
    client = client_for(officer)
    data = action_data(action, client, delivery_status="in_progress", owner_rating="green")

    page = client.post(action_url(action), data, headers=HX).content.decode()

    assert "because the rating is Red" in page


def test_action_preview_rates_the_chosen_status(client_for, officer, action):
    client = client_for(officer)
    data = action_data(action, client, delivery_status="in_progress", owner_rating="red")

    page = client.post(reverse("returns:action-preview", args=[action.pk]), data, headers=HX).content.decode()

    assert "rating--red" in page
    assert 'data-visible="true"' in page


def test_action_conflict_keeps_my_update(client_for, officer, spp, action):
    mine, theirs = client_for(officer), client_for(spp)
    stale = action_data(action, mine, delivery_status="in_progress", owner_rating="green", commentary="Mine")
    theirs.post(action_url(action), action_data(action, theirs, delivery_status="delivered", commentary="Done"))

    page = mine.post(action_url(action), stale, headers=HX).content.decode()

    assert "changed while you were editing it" in page
    assert "Mine" in page
    assert "Done" in page
    action.refresh_from_db()
    assert action.commentary == "Done"


def test_only_the_lead_officer_updates_an_action(client_for, outsider, manager, action):
    for user in (outsider, manager):
        assert client_for(user).get(action_url(action)).status_code == 403


def test_sign_off_shows_target_and_rating(client_for, manager, submitted):
    html = client_for(manager).get(reverse("returns:sign-off"), {"period": SEPTEMBER.code}).content.decode()
    assert "85.00%" in html
    assert "rating--green" in html


def test_lock_page_warns_of_unsigned_returns(client_for, spp, submitted):
    html = client_for(spp).get(reverse("returns:lock"), {"period": SEPTEMBER.code}).content.decode()
    assert "Not all returns are signed off" in html
    assert "<li>Submitted: 1</li>" in html
