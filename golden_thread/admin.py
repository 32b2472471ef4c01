"""Admin for the organisation, governance bodies, people's places and the golden thread.

Validation stays on the models (`ThreadItem.clean`, `GovernanceBody.clean`),
so the admin only arranges fields, filters and searches.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Directorate, GovernanceBody, Profile, Service, Team, ThreadItem


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    show_change_link = True


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    show_change_link = True


@admin.register(Directorate)
class DirectorateAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "directorate"]
    list_filter = ["directorate"]
    list_select_related = ["directorate"]
    search_fields = ["name", "directorate__name"]
    autocomplete_fields = ["directorate"]
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "directorate"]
    list_filter = ["service__directorate"]
    list_select_related = ["service__directorate"]
    search_fields = ["name", "service__name"]
    autocomplete_fields = ["service"]

    @admin.display(description="Directorate", ordering="service__directorate__name")
    def directorate(self, team):
        return team.service.directorate


@admin.register(GovernanceBody)
class GovernanceBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "directorate"]
    list_filter = ["kind"]
    list_select_related = ["directorate"]
    search_fields = ["name"]
    autocomplete_fields = ["directorate"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "job_title", "directorate", "service", "team"]
    list_filter = ["role", "directorate", "governance_bodies"]
    list_select_related = ["user", "directorate", "service", "team__service"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "job_title"]
    autocomplete_fields = ["user", "directorate", "service", "team", "governance_bodies"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["directorate", "service", "team", "governance_bodies"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "role", "is_staff", "is_active"]
    list_filter = ["profile__role", *DjangoUserAdmin.list_filter]
    list_select_related = ["profile"]

    @admin.display(description="Role", ordering="profile__role")
    def role(self, user):
        profile = getattr(user, "profile", None)
        return profile.get_role_display() if profile else "—"


class ChildItemInline(admin.TabularInline):
    """The items directly beneath one, read-only: each child is edited on its own page."""

    model = ThreadItem
    fk_name = "parent"
    verbose_name = "item beneath"
    verbose_name_plural = "items beneath"
    fields = ["reference", "title", "kind", "financial_year", "is_illustrative"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ThreadItem)
class ThreadItemAdmin(SimpleHistoryAdmin):
    list_display = [
        "title", "reference", "kind", "layer", "financial_year", "directorate", "lead_officer",
        "is_illustrative",
    ]
    list_filter = ["kind", "financial_year", "directorate", "is_illustrative", "is_critical"]
    list_select_related = ["directorate", "lead_officer"]
    search_fields = ["reference", "title", "description"]
    autocomplete_fields = ["parent", "contributes_to", "directorate", "service", "team", "lead_officer"]
    inlines = [ChildItemInline]
    fieldsets = [
        (None, {"fields": ["kind", "reference", "title", "description", "parent", "contributes_to"]}),
        ("Ownership", {"fields": ["financial_year", "directorate", "service", "team", "lead_officer",
                                  "is_illustrative"]}),
        ("Delivery (actions only)", {
            "classes": ["collapse"],
            "fields": [
                "start_on", "end_on", "baseline_end_on", "forecast_end_on", "delivery_status",
                "owner_rating", "is_critical", "commentary", "cause", "recovery", "support_needed",
            ],
        }),
    ]

    @admin.display(description="Layer")
    def layer(self, item):
        return f"{item.layer}. {item.layer_name}"
