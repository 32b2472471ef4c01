"""The organisation, governance bodies and the seven layers of the golden thread."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Concat, Substr
from django.db.models import Value
from simple_history.models import HistoricalRecords

from pmf import rag
from pmf.periods import FinancialYear


class Directorate(models.Model):
    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=20, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Service(models.Model):
    directorate = models.ForeignKey(Directorate, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["directorate__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["directorate", "name"], name="service_unique_name"),
        ]

    def __str__(self):
        return self.name


class Team(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="team_unique_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.service})"


class GovernanceBody(models.Model):
    class Kind(models.TextChoices):
        DLT = "dlt", "Directorate Leadership Team"
        SPB = "spb", "Strategy and Performance Board"
        TIB = "tib", "Transformation and Improvement Board"
        CLT = "clt", "Corporate Leadership Team"
        CMB = "cmb", "Corporate Management Board"
        CPC = "cpc", "Corporate Policy Committee"

    kind = models.CharField(max_length=3, choices=Kind.choices)
    directorate = models.ForeignKey(
        Directorate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="governance_bodies",
        help_text="Set for a directorate's DLT only.",
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "governance bodies"
        constraints = [
            models.UniqueConstraint(fields=["kind", "directorate"], name="governance_body_unique_kind"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.DLT and self.directorate_id is None:
            raise ValidationError({"directorate": "A DLT belongs to a directorate: choose one."})
        if self.kind != self.Kind.DLT and self.directorate_id is not None:
            raise ValidationError({"directorate": "Only a DLT belongs to a directorate: leave this blank."})


class Profile(models.Model):
    """A user's place in the organisation and the role they act in."""

    class Role(models.TextChoices):
        OFFICER = "officer", "Officer"
        SERVICE_MANAGER = "service_manager", "Service manager"
        DIRECTOR = "director", "Director"
        SPP = "spp", "Strategy, Policy and Performance"
        BOARD_MEMBER = "board_member", "Board member"
        ADMIN = "admin", "Administrator"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OFFICER)
    job_title = models.CharField(max_length=200, blank=True)
    directorate = models.ForeignKey(Directorate, on_delete=models.SET_NULL, null=True, blank=True)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True)
    governance_bodies = models.ManyToManyField(GovernanceBody, blank=True, related_name="members")

    class Meta:
        ordering = ["user__username"]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"


class ItemKind(models.TextChoices):
    """Kinds of golden-thread item, in layer order."""

    CORPORATE_PLAN = "corporate_plan", "Corporate Plan"
    COMMITMENT = "commitment", "Commitment"
    OUTCOME = "outcome", "Outcome"
    DELIVERY_PLAN = "delivery_plan", "Delivery Plan"
    PRIORITY_DELIVERABLE = "priority_deliverable", "Priority deliverable"
    PROGRAMME = "programme", "Programme"
    MILESTONE = "milestone", "Milestone"
    BENEFIT = "benefit", "Benefit"
    BUSINESS_PLAN = "business_plan", "Director business plan"
    KEY_ACTION = "key_action", "Key action"
    CORPORATE_RESPONSIBILITY = "corporate_responsibility", "Director-led corporate responsibility"
    RISK = "risk", "Risk"
    SERVICE_PLAN = "service_plan", "Service or team plan"
    TASK = "task", "Task"
    OBJECTIVE = "objective", "Individual objective"


# (layer, rank) of each kind: a parent must sort strictly before its child,
# so a commitment sits under the Corporate Plan and a milestone under its
# programme, and nothing points back down the thread. KPIs are layer 5 and
# live in the kpis app.
KIND_POSITION = {
    ItemKind.CORPORATE_PLAN: (1, 0),
    ItemKind.COMMITMENT: (1, 1),
    ItemKind.OUTCOME: (1, 2),
    ItemKind.DELIVERY_PLAN: (2, 0),
    ItemKind.PRIORITY_DELIVERABLE: (2, 1),
    ItemKind.PROGRAMME: (3, 0),
    ItemKind.MILESTONE: (3, 1),
    ItemKind.BENEFIT: (3, 1),
    ItemKind.BUSINESS_PLAN: (4, 0),
    ItemKind.KEY_ACTION: (4, 1),
    ItemKind.CORPORATE_RESPONSIBILITY: (4, 1),
    ItemKind.RISK: (4, 1),
    ItemKind.SERVICE_PLAN: (6, 0),
    ItemKind.TASK: (6, 1),
    ItemKind.OBJECTIVE: (7, 1),
}

ACTION_KINDS = {
    ItemKind.PRIORITY_DELIVERABLE,
    ItemKind.KEY_ACTION,
    ItemKind.MILESTONE,
    ItemKind.TASK,
}

LAYER_NAMES = {
    1: "Corporate Plan",
    2: "Delivery Plan",
    3: "Programmes",
    4: "Director business plans",
    5: "KPIs",
    6: "Service and team plans",
    7: "Individual objectives",
}


class ThreadItemQuerySet(models.QuerySet):
    def actions(self):
        return self.filter(kind__in=ACTION_KINDS)

    def commitments(self):
        return self.filter(kind=ItemKind.COMMITMENT)

    def orphans(self):
        """Select items other than the Corporate Plan that have no parent."""
        return self.filter(parent__isnull=True).exclude(kind=ItemKind.CORPORATE_PLAN)

    def ancestors_of(self, item):
        """Select the chain above `item`, from the top down, in one query."""
        return self.filter(pk__in=item.ancestor_ids()).order_by("depth")

    def descendants_of(self, item):
        """Select everything beneath `item`, in one query."""
        return self.filter(path__startswith=item.path).exclude(pk=item.pk)


class ThreadItem(models.Model):
    """One item of the golden thread, from the Corporate Plan to an individual objective.

    `path` is the materialised chain of ids from the root ("/1/4/9/"), kept
    by `save()`, so the line of sight up and everything beneath an item are
    each one query.
    """

    kind = models.CharField(max_length=30, choices=ItemKind.choices)
    reference = models.CharField(max_length=30, blank=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    contributes_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="contributors",
        help_text="Other items this one also contributes to.",
    )
    financial_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Start year of the financial year, for example 2025 for 2025/26."
    )
    directorate = models.ForeignKey(Directorate, on_delete=models.SET_NULL, null=True, blank=True)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True)
    lead_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_items"
    )
    is_illustrative = models.BooleanField(
        default=False, help_text="Invented for the demonstration, not a council's published item."
    )

    # Actions only: specific, time-bound and owned.
    start_on = models.DateField(null=True, blank=True)
    end_on = models.DateField(null=True, blank=True)
    baseline_end_on = models.DateField(null=True, blank=True, help_text="End date in the approved plan.")
    forecast_end_on = models.DateField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=20,
        choices=[(status.value, status.label) for status in rag.DeliveryStatus],
        blank=True,
    )
    owner_rating = models.CharField(
        max_length=10,
        choices=[(r.value, r.label) for r in (rag.Rating.GREEN, rag.Rating.AMBER, rag.Rating.RED)],
        blank=True,
        help_text="The owner's own rating; the portal forces Red when dates have passed.",
    )
    is_critical = models.BooleanField(default=False, help_text="A critical milestone escalates when missed.")
    commentary = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    recovery = models.TextField(blank=True)
    support_needed = models.TextField(blank=True)

    path = models.CharField(max_length=500, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    history = HistoricalRecords(excluded_fields=["path", "depth"], m2m_fields=[])

    objects = ThreadItemQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["kind"], name="thread_item_kind_idx")]

    def __str__(self):
        prefix = f"{self.reference} " if self.reference else ""
        return f"{prefix}{self.title}"

    @property
    def layer(self) -> int:
        return KIND_POSITION[self.kind][0]

    @property
    def layer_name(self) -> str:
        return LAYER_NAMES[self.layer]

    @property
    def is_action(self) -> bool:
        return self.kind in ACTION_KINDS

    @property
    def financial_year_label(self) -> str:
        return FinancialYear(self.financial_year).label if self.financial_year else ""

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def rating(self, today: date | None = None) -> rag.Rating:
        """Rate the action with the forced Red rules applied. Items that are not actions are Not rated."""
        if not self.is_action:
            return rag.Rating.NOT_RATED
        return rag.rate_action(
            status=rag.DeliveryStatus(self.delivery_status or rag.DeliveryStatus.NOT_STARTED),
            owner_rating=rag.Rating(self.owner_rating) if self.owner_rating else None,
            start_on=self.start_on,
            end_on=self.end_on,
            today=today or date.today(),
        )

    def clean(self):
        errors = {}
        if self.parent_id is not None:
            if self.parent_id == self.pk:
                errors["parent"] = "An item cannot be its own parent."
            elif KIND_POSITION[self.parent.kind] >= KIND_POSITION[self.kind]:
                errors["parent"] = (
                    f"A {self.get_kind_display().lower()} must sit under an item in a higher layer, "
                    f"not under a {self.parent.get_kind_display().lower()}."
                )
            elif self.pk and self.parent.path.startswith(self.path):
                errors["parent"] = "An item cannot sit under one of its own descendants."
        if self.start_on and self.end_on and self.end_on < self.start_on:
            errors["end_on"] = "The end date is before the start date: correct one of them."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_path = self.path
            if self.pk is None:
                super().save(*args, **kwargs)
                self._set_path()
                ThreadItem.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
                return
            self._set_path()
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_descendants(old_path)

    def _set_path(self):
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.pk}/"
        self.depth = self.path.count("/") - 2

    def _move_descendants(self, old_path: str):
        moved = ThreadItem.objects.filter(path__startswith=old_path).exclude(pk=self.pk)
        depth_change = self.depth - (old_path.count("/") - 2)
        moved.update(
            path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
            depth=models.F("depth") + depth_change,
        )
