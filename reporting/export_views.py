"""Downloads of the reports, lists and returns pages.

Each view applies the same access check as its page, builds the export from
the page's own data and returns it as a workbook (or CSV for a list).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from kpis.models import Kpi
from kpis.returns_views import period_from_query, require_sign_off_role
from pmf.periods import Period

from . import exports
from .excel import workbook_response
from .period_picker import pick_period

logger = logging.getLogger(__name__)


def chosen_period(request) -> Period:
    """Return the period the page would show, raising 404 for unreadable text rather than using another period."""
    picker = pick_period(request.GET.get("period"))
    if picker.error:
        raise Http404(picker.error)
    return picker.period


def download(export: exports.Export, request):
    logger.info("Export %s downloaded by user %s", export.filename, request.user.pk)
    workbook = exports.to_workbook(export, produced_at=timezone.now())
    return workbook_response(workbook, export.filename)


def download_csv(export: exports.Export, request):
    logger.info("Export %s downloaded as CSV by user %s", export.filename, request.user.pk)
    return exports.to_csv(export)


@require_GET
def dashboard(request):
    return download(exports.dashboard_export(chosen_period(request)), request)


@require_GET
def kpi_list(request):
    return download(exports.kpi_list_export(request), request)


@require_GET
def kpi_list_csv(request):
    return download_csv(exports.kpi_list_export(request), request)


def kpi_for(reference: str) -> Kpi:
    return get_object_or_404(Kpi.objects.select_related("owner", "directorate", "service"), reference=reference)


@require_GET
def kpi_values(request, reference: str):
    return download(exports.kpi_values_export(kpi_for(reference)), request)


@require_GET
def kpi_values_csv(request, reference: str):
    return download_csv(exports.kpi_values_export(kpi_for(reference)), request)


@require_GET
def my_returns(request):
    period = period_from_query(request)
    return download(exports.my_returns_export(request.user, period, today=timezone.localdate()), request)


@require_GET
def sign_off(request):
    require_sign_off_role(request.user)
    return download(exports.sign_off_export(request.user, period_from_query(request)), request)


@require_GET
def completeness(request):
    if not request.user.has_perm("kpis.view_completeness"):
        raise PermissionDenied("Only the performance team sees completeness across the council.")
    period = period_from_query(request)
    return download(exports.completeness_export(period, today=timezone.localdate()), request)


@require_GET
def golden_thread(request):
    return download(exports.thread_export(chosen_period(request)), request)
