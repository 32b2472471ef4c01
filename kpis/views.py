from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from golden_thread.services import line_of_sight
from reporting.charts import figure_html

from .filters import KpiFilter
from .history import kpi_history, trend_figure
from .models import Kpi
from .tables import KpiTable

KPIS_PER_PAGE = 50


@require_GET
def kpi_list(request):
    kpis = Kpi.objects.active().select_related("directorate", "service", "owner")
    filterset = KpiFilter(request.GET, queryset=kpis)
    table = KpiTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": KPIS_PER_PAGE}).configure(table)
    return render(request, "kpis/list.html", {"nav": "kpis", "filterset": filterset, "table": table})


@require_GET
def kpi_detail(request, reference: str):
    kpi = get_object_or_404(
        Kpi.objects.select_related("owner", "directorate", "service", "thread_item"), reference=reference
    )
    history = kpi_history(kpi)
    item = kpi.thread_item
    context = {
        "nav": "kpis",
        "kpi": kpi,
        "baseline": kpi.format(kpi.baseline),
        "line_of_sight": line_of_sight(item) if item else [],
        "contributes_to": item.contributes_to.all() if item else [],
        "history": list(reversed(history)),
        "chart": figure_html(trend_figure(kpi, history)) if history else "",
        "can_view_changes": request.user.has_perm("kpis.view_return", kpi),
    }
    return render(request, "kpis/detail.html", context)
