"""Admin for KPIs, their target versions and their values.

Every model keeps its history, so each change page links to who changed
what and when. Validation stays on the models (`Target.clean`).
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pmf.periods import FinancialYear, Period

from .models import LOCKED_FIELDS, Kpi, KpiValue, PeriodLock, ReminderSent, ReturnDeadline, Target, TargetProfile


class TargetInline(admin.TabularInline):
    model = Target
    fields = ["financial_year", "effective_from", "value", "lower", "upper", "tolerance", "reason"]
    extra = 0
    show_change_link = True


class KpiValueInline(admin.TabularInline):
    """The KPI's values, read-only: a value is changed through its return or its own page."""

    model = KpiValue
    fields = ["financial_year", "period", "value", "status", "published_rating", "updated_at"]
    readonly_fields = fields
    ordering = ["-financial_year", "-period"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class TargetProfileInline(admin.TabularInline):
    model = TargetProfile
    extra = 0


def record_creator(request, target):
    if target.pk is None and target.created_by_id is None:
        target.created_by = request.user


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference", "name", "tier", "unit", "polarity", "frequency", "directorate", "service", "owner",
        "thread_item", "is_active",
    ]
    list_filter = ["tier", "polarity", "frequency", "unit", "is_active", "directorate"]
    list_select_related = ["directorate", "service", "owner", "thread_item"]
    search_fields = ["reference", "name", "definition"]
    autocomplete_fields = ["owner", "delegates", "directorate", "service", "thread_item"]
    readonly_fields = ["import_key"]
    inlines = [TargetInline, KpiValueInline]
    fieldsets = [
        (None, {"fields": ["reference", "name", "definition", "tier", "thread_item", "is_active"]}),
        ("Measurement", {"fields": [
            "unit", "unit_label", "decimal_places", "polarity", "frequency", "accumulation", "allows_over_100",
            "numerator_label", "denominator_label", "rate_multiplier", "baseline", "baseline_label",
        ]}),
        ("Ownership", {"fields": ["owner", "delegates", "directorate", "service", "data_source", "import_key"]}),
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is Target:
            for target in formset.save(commit=False):
                record_creator(request, target)
                target.save()
            for target in formset.deleted_objects:
                target.delete()
            return
        super().save_formset(request, form, formset, change)


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = [
        "kpi", "financial_year_label", "effective_from", "value", "lower", "upper", "tolerance", "created_by",
        "created_at",
    ]
    list_filter = ["financial_year"]
    list_select_related = ["kpi", "created_by"]
    search_fields = ["kpi__reference", "kpi__name", "reason"]
    autocomplete_fields = ["kpi", "created_by"]
    readonly_fields = ["created_at"]
    inlines = [TargetProfileInline]

    @admin.display(description="Financial year", ordering="financial_year")
    def financial_year_label(self, target):
        return FinancialYear(target.financial_year).label

    def save_model(self, request, obj, form, change):
        record_creator(request, obj)
        super().save_model(request, obj, form, change)


@admin.register(TargetProfile)
class TargetProfileAdmin(SimpleHistoryAdmin):
    list_display = ["target", "period", "value"]
    list_select_related = ["target__kpi"]
    search_fields = ["target__kpi__reference", "target__kpi__name"]
    autocomplete_fields = ["target"]


@admin.register(KpiValue)
class KpiValueAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "period_label", "value", "status", "published_rating", "updated_by", "updated_at"]
    list_filter = ["status", "financial_year", "period", "kpi__directorate"]
    list_select_related = ["kpi", "updated_by"]
    search_fields = ["kpi__reference", "kpi__name", "commentary"]
    autocomplete_fields = ["kpi", "updated_by"]
    readonly_fields = ["version", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return [*self.readonly_fields, *LOCKED_FIELDS]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # A new version makes a return form opened before this edit refuse to save over it.
        if change:
            obj.version += 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Period", ordering="financial_year")
    def period_label(self, value):
        return value.period_obj.label


@admin.register(PeriodLock)
class PeriodLockAdmin(SimpleHistoryAdmin):
    list_display = ["period_label", "is_locked", "changed_by", "changed_at"]
    list_filter = ["is_locked", "financial_year"]
    list_select_related = ["changed_by"]
    search_fields = ["financial_year"]
    readonly_fields = ["changed_by", "changed_at"]

    @admin.display(description="Period", ordering="financial_year")
    def period_label(self, lock):
        return Period(lock.financial_year, lock.period).long_label

    def save_model(self, request, obj, form, change):
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReturnDeadline)
class ReturnDeadlineAdmin(SimpleHistoryAdmin):
    list_display = ["period_label", "due_on"]
    list_filter = ["financial_year"]
    search_fields = ["financial_year"]

    @admin.display(description="Period", ordering="financial_year")
    def period_label(self, deadline):
        return Period(deadline.financial_year, deadline.period).long_label


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ["kpi", "period_label", "stage", "recipient", "sent_on"]
    list_filter = ["stage", "financial_year", "sent_on"]
    list_select_related = ["kpi", "recipient"]
    search_fields = ["kpi__reference", "kpi__name", "recipient__username"]
    autocomplete_fields = ["kpi", "recipient"]

    @admin.display(description="Period", ordering="financial_year")
    def period_label(self, reminder):
        return Period(reminder.financial_year, reminder.period).long_label
