"""Views of the monthly returns: entry, preview, sign-off, locking, completeness and value history.

Each view checks access, calls one service or query, and renders. HTMX
requests get the named partial; a normal request (or an HTMX history
restore) gets the whole page, so every form also works without JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from golden_thread.actions import (
    ActionConflictError,
    ActionInvalidError,
    can_update_action,
    rating_with,
    revision_of,
    revisions_of,
    update_action,
)
from golden_thread.models import Profile, ThreadItem
from pmf import rag
from pmf.periods import Period

from . import returns_status
from .forms import ActionForm, LockForm, ReturnCommentForm, ReturnForm, UnlockForm
from .models import KpiValue, PeriodLock
from .returns import rating_for
from .scorecard import Scorecard
from .services import (
    EditConflictError,
    PeriodLockedError,
    ReturnInvalidError,
    lock_period,
    return_for_changes,
    sign_off_returns,
    save_return,
    unlock_value,
)
from .value_history import value_history

RETURN_TEMPLATE = "kpis/returns/kpi_return.html"
ACTION_TEMPLATE = "kpis/returns/action_update.html"


def wants_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def page_or_partial(request, template: str, partial: str, context: dict, **kwargs):
    name = f"{template}#{partial}" if wants_fragment(request) else template
    return render(request, name, context, **kwargs)


def period_from_query(request) -> Period:
    text = request.GET.get("period") or request.POST.get("period")
    if not text:
        return returns_status.collection_period(timezone.localdate())
    try:
        return Period.parse(text)
    except ValueError as error:
        raise Http404(str(error)) from error


def period_from_code(code: str) -> Period:
    try:
        return Period.parse(code)
    except ValueError as error:
        raise Http404(str(error)) from error


def my_returns_url(period: Period) -> str:
    return f"{reverse('returns:mine')}?period={period.code}"


# My returns ---------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def my_returns(request):
    today = timezone.localdate()
    period = period_from_query(request)
    summary = returns_status.my_returns(request.user, period, today=today)
    context = {
        "nav": "returns",
        "period": period,
        "summary": summary,
        "kpi_panels": [kpi_panel(row, today=today) for row in summary.kpi_returns if row.is_due],
        "not_due_panels": [{"row": row} for row in summary.kpi_returns if not row.is_due],
        "action_panels": action_panels(summary.actions),
        "can_sign_off": can_sign_off(request.user),
    }
    return page_or_partial(request, "kpis/returns/my_returns.html", "returns-list", context)


def kpi_panel(row, *, today, form=None, **extra) -> dict:
    """What the KPI return partial shows: the row, its form and the rating beside the value."""
    if form is None:
        form = ReturnForm(initial=ReturnForm.initial_for(row.record), kpi=row.kpi, period=row.period, today=today)
    rating = extra.pop("rating", row.rating)
    form.show_narrative(rating)
    return {"row": row, "form": form, "rating": rating, **extra}


def action_panels(actions) -> list[dict]:
    revisions = revisions_of([action.item for action in actions])
    return [action_panel(action, revision=revisions.get(action.item.pk, 0)) for action in actions]


def action_panel(action, *, form=None, revision=None, **extra) -> dict:
    item = action.item
    if form is None:
        revision = revision_of(item) if revision is None else revision
        form = ActionForm(initial=ActionForm.initial_for(item, revision), item=item)
    rating = extra.pop("rating", action.rating)
    form.show_narrative(rating)
    return {"action": action, "form": form, "rating": rating, **extra}


# One KPI return -------------------------------------------------------------


def kpi_return_row(request, kpi_id: int, period: Period, *, today):
    kpi = get_object_or_404(returns_status.kpis_for_returns(), pk=kpi_id)
    if not request.user.has_perm("kpis.view_return", kpi):
        raise PermissionDenied("You cannot see this KPI's returns.")
    return returns_status.kpi_returns([kpi], period, today=today)[0]


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def kpi_return(request, kpi_id: int, period: str):
    today = timezone.localdate()
    period = period_from_code(period)
    row = kpi_return_row(request, kpi_id, period, today=today)
    context = {"nav": "returns", "period": period}
    if request.method == "GET":
        context["panel"] = kpi_panel(row, today=today)
        return page_or_partial(request, RETURN_TEMPLATE, "kpi-return", context)

    if not request.user.has_perm("kpis.edit_return", row.kpi):
        raise PermissionDenied("You cannot edit this KPI's returns.")
    form = ReturnForm(request.POST, kpi=row.kpi, period=period, today=today)
    if not form.is_valid():
        return render_kpi_return(request, context, row, form, today=today)
    return save_kpi_return(request, row, form, context, today=today)


def save_kpi_return(request, row, form, context, *, today):
    submit = request.POST.get("action") == "submit"
    try:
        save_return(
            kpi=row.kpi,
            period=row.period,
            user=request.user,
            data=form.return_data,
            expected_version=form.cleaned_data["version"],
            submit=submit,
        )
    except EditConflictError as conflict:
        their_value = row.kpi.format(conflict.current.value) if conflict.current else "–"
        form = form_at_version(form, conflict.current)
        return render_kpi_return(request, context, row, form, today=today, conflict=conflict, their_value=their_value)
    except PeriodLockedError as locked:
        return render_kpi_return(request, context, row, form, today=today, problem=locked.message)
    except ReturnInvalidError as invalid:
        form.add_errors(invalid.errors)
        return render_kpi_return(request, context, row, form, today=today)

    done = "submitted for sign-off" if submit else "saved as a draft"
    message = f"{row.kpi.reference} {row.period.long_label} {done}."
    if not wants_fragment(request):
        messages.success(request, message)
        return redirect(my_returns_url(row.period))
    fresh = returns_status.kpi_returns([row.kpi], row.period, today=today)[0]
    context["panel"] = kpi_panel(fresh, today=today, saved=message)
    return render(request, f"{RETURN_TEMPLATE}#kpi-return", context)


def render_kpi_return(request, context, row, form, *, today, **extra):
    """The return as the user left it: their typing, the rating of what they typed, and any problem."""
    context["panel"] = kpi_panel(row, today=today, form=form, rating=typed_rating(form, row), **extra)
    return page_or_partial(request, RETURN_TEMPLATE, "kpi-return", context)


def typed_rating(form: ReturnForm, row) -> rag.Rating:
    """Rate the value the user typed, or fall back to the saved rating when the value cannot be read."""
    data = form.return_data
    if data is None or any(name in data.errors for name in ("value", "numerator", "denominator")):
        return row.rating
    return rating_for(row.kpi, row.period, data.value)


def form_at_version(form: ReturnForm, current: KpiValue | None) -> ReturnForm:
    """The user's own typing, re-bound at the newer version so saving again replaces it knowingly."""
    data = form.data.copy()
    data[form.add_prefix("version")] = current.version if current else 0
    rebound = ReturnForm(data, kpi=form.kpi, period=form.period, today=form.today)
    rebound.is_valid()
    return rebound


@require_POST
def kpi_preview(request, kpi_id: int, period: str):
    today = timezone.localdate()
    period = period_from_code(period)
    row = kpi_return_row(request, kpi_id, period, today=today)
    if not request.user.has_perm("kpis.edit_return", row.kpi):
        raise PermissionDenied("You cannot edit this KPI's returns.")
    form = ReturnForm(request.POST, kpi=row.kpi, period=period, today=today)
    form.is_valid()
    number_errors = [form.errors[name][0] for name in ("value", "numerator", "denominator") if name in form.errors]
    rating = rating_for(row.kpi, period, form.return_data.value) if not number_errors else rag.Rating.NO_DATA
    context = {"panel": kpi_panel(row, today=today, form=form, rating=rating, preview_error=" ".join(number_errors))}
    return render(request, f"{RETURN_TEMPLATE}#preview", context)


# Actions -------------------------------------------------------------------


def action_for(request, item_id: int) -> ThreadItem:
    item = get_object_or_404(ThreadItem.objects.actions(), pk=item_id)
    if not can_update_action(request.user, item):
        raise PermissionDenied("Only the action's lead officer or the performance team can update it.")
    return item


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def action_update(request, item_id: int):
    today = timezone.localdate()
    item = action_for(request, item_id)
    period = period_from_query(request)
    action = returns_status.ActionReturn(item, item.rating(today), today)
    context = {"nav": "returns", "period": period}
    if request.method == "GET":
        context["panel"] = action_panel(action)
        return page_or_partial(request, ACTION_TEMPLATE, "action-update", context)

    form = ActionForm(request.POST, item=item)
    if not form.is_valid():
        context["panel"] = action_panel(action, form=form, rating=typed_action_rating(form, item, today))
        return page_or_partial(request, ACTION_TEMPLATE, "action-update", context)
    try:
        saved = update_action(
            item=item, user=request.user, data=form.cleaned_data,
            expected_revision=form.cleaned_data["revision"], today=today,
        )
    except ActionConflictError as conflict:
        form = action_form_at_revision(form, conflict.current)
        context["panel"] = action_panel(action, form=form, rating=typed_action_rating(form, item, today),
                                        conflict=conflict)
        return page_or_partial(request, ACTION_TEMPLATE, "action-update", context)
    except ActionInvalidError as invalid:
        for name, message in invalid.errors.items():
            form.add_error(name, message)
        context["panel"] = action_panel(action, form=form, rating=typed_action_rating(form, item, today))
        return page_or_partial(request, ACTION_TEMPLATE, "action-update", context)

    message = f"Progress on “{saved.title}” saved."
    if not wants_fragment(request):
        messages.success(request, message)
        return redirect(my_returns_url(period))
    context["panel"] = action_panel(returns_status.ActionReturn(saved, saved.rating(today), today), saved=message)
    return render(request, f"{ACTION_TEMPLATE}#action-update", context)


def typed_action_rating(form: ActionForm, item: ThreadItem, today) -> rag.Rating:
    data = {name: form[name].value() for name in ("delivery_status", "owner_rating")}
    try:
        return rating_with(item, data, today=today)
    except ValueError:
        return item.rating(today)


def action_form_at_revision(form: ActionForm, current: ThreadItem) -> ActionForm:
    data = form.data.copy()
    data[form.add_prefix("revision")] = revision_of(current)
    return ActionForm(data, item=form.item)


@require_POST
def action_preview(request, item_id: int):
    today = timezone.localdate()
    item = action_for(request, item_id)
    form = ActionForm(request.POST, item=item)
    rating = typed_action_rating(form, item, today)
    action = returns_status.ActionReturn(item, item.rating(today), today)
    return render(request, f"{ACTION_TEMPLATE}#preview", {"panel": action_panel(action, form=form, rating=rating)})


# Sign-off ------------------------------------------------------------------


def can_sign_off(user) -> bool:
    """Whether the user signs off some returns: a service manager for their service, or SPP for all."""
    is_manager = getattr(getattr(user, "profile", None), "role", None) == Profile.Role.SERVICE_MANAGER
    return is_manager or user.has_perm("kpis.view_completeness")


def require_sign_off_role(user) -> None:
    if not can_sign_off(user):
        raise PermissionDenied("Only service managers and the performance team sign off returns.")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def sign_off(request):
    require_sign_off_role(request.user)
    period = period_from_query(request)
    records = returns_status.returns_to_sign_off(request.user, period)
    if request.method == "GET":
        return render_sign_off(request, period, records)

    chosen = request.POST.getlist("record")
    if one := request.POST.get("sign_off_one"):
        chosen = [one]
    selected = [record for record in records if str(record.pk) in chosen]
    if not selected:
        messages.error(request, "Choose at least one return to sign off.")
        return redirect(f"{reverse('returns:sign-off')}?period={period.code}")
    count = sign_off_returns(records=selected, user=request.user)
    messages.success(request, f"Signed off {count} return{'s' if count != 1 else ''} for {period.long_label}.")
    return redirect(f"{reverse('returns:sign-off')}?period={period.code}")


def sign_off_rows(records, period):
    """Pair each submitted return with its value, target and rating, rated in a fixed number of queries."""
    records = list(records)
    scorecard = Scorecard([record.kpi for record in records], period, history_years=0, with_trend=False)
    rows = []
    for record in records:
        rating, target, target_value = scorecard.rate(record.kpi, period)
        row = {"record": record, "value": record.kpi.format(record.value), "rating": rating, "target": ""}
        if target is not None:
            row["target"] = record.kpi.format(target_value)
        rows.append(row)
    return rows


def render_sign_off(request, period, records, *, comment_errors=None, status=200):
    context = {
        "nav": "sign-off",
        "period": period,
        "rows": sign_off_rows(records, period),
        "comment_form": ReturnCommentForm(),
        "comment_errors": comment_errors or {},
    }
    return page_or_partial(request, "kpis/returns/sign_off.html", "sign-off-list", context, status=status)


@require_POST
def return_record(request, value_id: int):
    record = get_object_or_404(KpiValue.objects.select_related("kpi"), pk=value_id)
    if not request.user.has_perm("kpis.sign_off_return", record.kpi):
        raise PermissionDenied("You cannot sign off this KPI's returns.")
    period = record.period_obj
    form = ReturnCommentForm(request.POST)
    try:
        return_for_changes(record=record, user=request.user, comment=form.data.get("comment", ""))
    except ReturnInvalidError as invalid:
        records = returns_status.returns_to_sign_off(request.user, period)
        return render_sign_off(request, period, records, comment_errors={record.pk: invalid.errors["comment"]})
    messages.success(request, f"{record.kpi.reference} returned to its officer for changes.")
    return redirect(f"{reverse('returns:sign-off')}?period={period.code}")


# Locking -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def lock(request):
    if not request.user.has_perm("kpis.lock_period"):
        raise PermissionDenied("Only the performance team locks periods.")
    if request.method == "GET":
        period = period_from_query(request)
        form = LockForm(initial={"period": period.code})
        return render_lock(request, period, form)

    form = LockForm(request.POST)
    if not form.is_valid():
        period = form.cleaned_data.get("period") or period_from_query(request)
        return render_lock(request, period, form)
    period = form.cleaned_data["period"]
    lock_period(period=period, user=request.user)
    messages.success(request, f"{period.long_label} is locked. Values now change only through an unlock.")
    return redirect(f"{reverse('returns:completeness')}?period={period.code}")


def render_lock(request, period, form):
    context = {
        "nav": "completeness",
        "period": period,
        "form": form,
        "is_locked": PeriodLock.objects.is_locked(period),
        "outstanding": outstanding_counts(period),
    }
    return render(request, "kpis/returns/lock.html", context)


def outstanding_counts(period) -> list[tuple[str, int]]:
    """Return (status label, count) for due returns not yet signed off, which a lock would close as they stand."""
    totals = returns_status.completeness(period, today=timezone.localdate()).totals.counts
    return [
        (label, totals[status])
        for status, label in returns_status.STATUS_LABELS.items()
        if status != KpiValue.Status.SIGNED_OFF and totals[status]
    ]


@require_http_methods(["GET", "POST"])
def unlock(request, value_id: int):
    if not request.user.has_perm("kpis.unlock_value"):
        raise PermissionDenied("Only the performance team unlocks values.")
    record = get_object_or_404(KpiValue.objects.select_related("kpi"), pk=value_id)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unlock_value(record=record, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"{record} is unlocked: its officer can now change it.")
        return redirect(f"{reverse('returns:completeness')}?period={record.period_obj.code}")
    context = {"nav": "completeness", "record": record, "form": form, "period": record.period_obj}
    return render(request, "kpis/returns/unlock.html", context)


# Completeness and history -------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def completeness(request):
    if not request.user.has_perm("kpis.view_completeness"):
        raise PermissionDenied("Only the performance team sees completeness across the council.")
    period = period_from_query(request)
    context = {
        "nav": "completeness",
        "period": period,
        "report": returns_status.completeness(period, today=timezone.localdate()),
        "statuses": list(returns_status.STATUS_LABELS.items()),
    }
    return page_or_partial(request, "kpis/returns/completeness.html", "completeness-report", context)


@require_GET
@vary_on_headers("HX-Request")
def history(request, value_id: int):
    record = get_object_or_404(KpiValue.objects.select_related("kpi").prefetch_related("kpi__delegates"), pk=value_id)
    if not request.user.has_perm("kpis.view_return", record.kpi):
        raise PermissionDenied("You cannot see this KPI's returns.")
    context = {"record": record, "changes": value_history(record), "period": record.period_obj}
    return page_or_partial(request, "kpis/returns/history.html", "history", context)
