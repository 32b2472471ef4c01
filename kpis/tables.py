import django_tables2 as tables

from .models import Kpi


class KpiTable(tables.Table):
    reference = tables.Column(linkify=("kpis:detail", {"reference": tables.A("reference")}))
    name = tables.Column(linkify=("kpis:detail", {"reference": tables.A("reference")}))
    owner = tables.Column(order_by=("owner__last_name", "owner__first_name", "owner__username"))

    class Meta:
        model = Kpi
        fields = ("reference", "name", "tier", "directorate", "service", "polarity", "frequency", "owner")
        order_by = ("reference",)
        empty_text = "No KPIs match these filters."
        attrs = {"class": "kpi-table"}

    def render_owner(self, value):
        return value.get_full_name() or value.username
