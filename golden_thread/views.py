from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from reporting.period_picker import pick_period

from .models import ThreadItem
from .services import build_subtree, build_tree, line_of_sight


@require_GET
def tree(request):
    picker = pick_period(request.GET.get("period"))
    context = {"nav": "thread", "picker": picker, "tree": build_tree(picker.period)}
    return render(request, "golden_thread/tree.html", context)


@require_GET
def item_detail(request, pk: int):
    item = get_object_or_404(
        ThreadItem.objects.select_related("directorate", "service", "team", "lead_officer"), pk=pk
    )
    picker = pick_period(request.GET.get("period"))
    context = {
        "nav": "thread",
        "picker": picker,
        "item": item,
        "line_of_sight": line_of_sight(item),
        "contributes_to": item.contributes_to.all(),
        "node": build_subtree(item, picker.period),
    }
    return render(request, "golden_thread/item.html", context)
