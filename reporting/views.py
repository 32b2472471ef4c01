from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from .dashboard import build_dashboard
from .period_picker import pick_period


def render_page_or_results(request, template_name: str, context: dict):
    """Render the whole page, or only its "results" partial for an htmx request.

    An htmx history restore expects the whole page. The response varies on
    both headers, so a cache never serves one in place of the other.
    """
    if request.htmx and not request.htmx.history_restore_request:
        template_name = f"{template_name}#results"
    response = render(request, template_name, context)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


@require_GET
def dashboard(request):
    picker = pick_period(request.GET.get("period"))
    context = {"nav": "dashboard", "picker": picker, "groups": build_dashboard(picker.period)}
    return render_page_or_results(request, "reporting/dashboard.html", context)
