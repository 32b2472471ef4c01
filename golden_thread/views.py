from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from reporting.period_picker import pick_period

from .models import ThreadItem
from .services import build_subtree, build_tree, line_of_sight

# The tree page opens the plan and its commitments, and shows the items
# beneath the commitments collapsed. A collapsed item loads its children
# when it is opened.
OPEN_DEPTH = 2


@require_GET
def tree(request):
    picker = pick_period(request.GET.get("period"))
    context = {
        "nav": "thread",
        "picker": picker,
        "period": picker.period,
        "open_depth": OPEN_DEPTH,
        "tree": build_tree(picker.period, open_depth=OPEN_DEPTH),
    }
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
        "period": picker.period,
        "item": item,
        "line_of_sight": line_of_sight(item),
        "contributes_to": item.contributes_to.all(),
        "node": build_subtree(item, picker.period),
    }
    return render(request, "golden_thread/item.html", context)


@require_GET
def item_children(request, pk: int):
    """Render the item's children, each collapsed, for its branch of the tree.

    Without htmx, redirect to the item page, which shows everything beneath the item.
    """
    item = get_object_or_404(ThreadItem, pk=pk)
    if not request.htmx:
        url = reverse("golden_thread:item", args=[pk])
        if period := request.GET.get("period"):
            url = f"{url}?{urlencode({'period': period})}"
        return redirect(url)

    picker = pick_period(request.GET.get("period"))
    context = {
        "period": picker.period,
        "open_depth": item.depth + 1,
        "node": build_subtree(item, picker.period, open_depth=item.depth + 1),
    }
    return render(request, "golden_thread/_children.html", context)
