import django_filters
from django.db.models import Q

from golden_thread.models import Directorate, Service
from pmf import rag

from .models import Kpi


class KpiFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tier = django_filters.ChoiceFilter(choices=Kpi.Tier.choices, empty_label="Any tier")
    directorate = django_filters.ModelChoiceFilter(
        queryset=Directorate.objects.all(), empty_label="Any directorate"
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(), empty_label="Any service"
    )
    polarity = django_filters.ChoiceFilter(choices=rag.Polarity.choices(), empty_label="Any polarity")
    frequency = django_filters.ChoiceFilter(choices=Kpi.Frequency.choices, empty_label="Any frequency")

    class Meta:
        model = Kpi
        fields = ["q", "tier", "directorate", "service", "polarity", "frequency"]

    def search(self, queryset, name, value):
        """Keep the KPIs whose reference, name or definition contains the text, ignoring case."""
        return queryset.filter(
            Q(reference__icontains=value) | Q(name__icontains=value) | Q(definition__icontains=value)
        )
