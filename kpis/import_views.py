"""Excel returns: download the template, upload a filled-in sheet, check it, preview it, then save.

An upload is checked in full before anything is saved. A clean upload is
kept in a temporary file named by a random token stored in the session.
Confirming checks that file again against the database as it is then, so
the saved rows are the ones previewed and still valid.
"""

import logging
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reporting.excel import workbook_response

from . import excel, returns_status
from .returns_import import ImportReport, Problem, check_returns, commit_returns, kpis_in_scope, template_rows
from .returns_views import my_returns_url, period_from_query
from .services import EditConflictError, PeriodLockedError, ReturnInvalidError
from pmf.periods import Period

logger = logging.getLogger(__name__)

SESSION_KEY = "excel_returns_upload"
STALE_AFTER_SECONDS = 24 * 60 * 60


class UploadForm(forms.Form):
    period = forms.CharField(
        label="Period", widget=forms.DateInput(attrs={"type": "month"}),
        help_text="The month the returns are for, such as 2014-09.",
        error_messages={"required": "Period is required: choose the month the returns are for."},
    )
    file = forms.FileField(
        label="Returns workbook (.xlsx)", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm"}),
        error_messages={"required": "Choose the workbook to upload."},
    )

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValueError as error:
            raise forms.ValidationError("Period must be a month such as 2014-09.") from error

    def _post_clean(self):
        # Screen readers read a field's error with the field itself, not only in the summary.
        super()._post_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            described_by = [f"{self[name].auto_id}_error"]
            if self.fields[name].help_text:
                described_by.append(f"{self[name].auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = excel.max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {excel.megabytes(upload.size)}, over the {excel.megabytes(limit)} limit. "
                "Remove other sheets or split the returns into smaller files."
            )
        return upload


@require_GET
def template(request):
    period = period_from_query(request)
    scope = request.GET.get("scope", "mine")
    try:
        scope_id = int(request.GET["id"]) if request.GET.get("id") else None
        kpis, scope_name = kpis_in_scope(request.user, scope, scope_id)
    except ValueError as error:
        raise Http404(str(error)) from error
    workbook = excel.returns_template(
        template_rows(request.user, kpis, period), period=period, scope=scope_name, produced_at=timezone.now()
    )
    return workbook_response(workbook, f"returns-{period.code}-{scope}")


@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "GET":
        form = UploadForm(initial={"period": period_from_query(request).code})
        return render_upload(request, form)

    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_upload(request, form)
    period = form.cleaned_data["period"]
    data = form.cleaned_data["file"].read()
    report = check_returns(data, user=request.user, period=period, today=timezone.localdate())
    if not report.is_valid:
        logger.warning("Excel upload by user %s rejected with %s errors", request.user.pk, len(report.errors))
        return render_upload(request, form, report=report)

    token = store_upload(data)
    request.session[SESSION_KEY] = {"token": token, "period": period.code, "name": form.cleaned_data["file"].name}
    return render_preview(request, report, period, token)


@require_POST
def confirm(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or request.POST.get("token") != pending["token"]:
        messages.error(request, "That upload has expired or was replaced by a newer one. Upload the file again.")
        return redirect("excel-returns:upload")
    period = Period.parse(pending["period"])
    data = read_upload(pending["token"])
    if request.POST.get("action") == "cancel" or data is None:
        forget_upload(request)
        messages.info(request, "Nothing was saved." if data is not None else "That upload has expired. Upload the file again.")
        return redirect(f"{reverse('excel-returns:upload')}?period={period.code}")

    report = check_returns(data, user=request.user, period=period, today=timezone.localdate())
    if report.is_valid:
        saved = save_all(request, report)
        if saved is not None:
            forget_upload(request)
            messages.success(request, f"Saved {saved} return{'s' if saved != 1 else ''} from {pending['name']}.")
            return redirect(my_returns_url(period))
    forget_upload(request)
    form = UploadForm(initial={"period": period.code})
    return render_upload(request, form, report=report)


def save_all(request, report: ImportReport) -> int | None:
    """Save the checked rows, or add the reason to the report's errors and return None."""
    try:
        return commit_returns(report, user=request.user)
    except (EditConflictError, PeriodLockedError, ReturnInvalidError, PermissionDenied) as error:
        message = error.message if isinstance(error, PeriodLockedError) else str(error)
        report.errors.append(Problem("File", "Nothing was saved: a return changed while you were checking the preview.", message))
        return None


def render_upload(request, form, *, report=None):
    context = {"nav": "returns", "form": form, "report": report, "period": period_or_current(form)}
    return render(request, "kpis/excel/upload.html", context)


def render_preview(request, report: ImportReport, period: Period, token: str):
    context = {"nav": "returns", "report": report, "period": period, "token": token}
    return render(request, "kpis/excel/preview.html", context)


def period_or_current(form) -> Period:
    period = form.cleaned_data.get("period") if hasattr(form, "cleaned_data") else None
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(form["period"].value() or "")
    except ValueError:
        return returns_status.collection_period(timezone.localdate())


# The file between preview and confirm ---------------------------------------


def upload_dir() -> Path:
    folder = Path(getattr(settings, "PMF_IMPORT_DIR", Path(tempfile.gettempdir()) / "pmf-imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(data: bytes) -> str:
    folder = upload_dir()
    remove_stale(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def read_upload(token: str) -> bytes | None:
    path = upload_path(token)
    return path.read_bytes() if path is not None and path.is_file() else None


def upload_path(token: str) -> Path | None:
    # The token came from this server, but the session could be old: accept only its own alphabet.
    if not token or not all(char.isalnum() or char in "-_" for char in token):
        return None
    return upload_dir() / f"{token}.xlsx"


def forget_upload(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    path = upload_path(pending["token"]) if pending else None
    if path is not None:
        path.unlink(missing_ok=True)


def remove_stale(folder: Path) -> None:
    """Delete uploads that were neither confirmed nor cancelled within a day."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for path in folder.glob("*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
