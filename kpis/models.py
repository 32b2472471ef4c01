"""KPIs, their versioned targets and their values per period."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from golden_thread.models import Directorate, Service, ThreadItem
from pmf import rag
from pmf.periods import FinancialYear, Period

PERIOD_NUMBER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(12)]


def decimal_field(**kwargs):
    return models.DecimalField(max_digits=20, decimal_places=6, **kwargs)


class KpiQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def tier(self, tier: int):
        return self.filter(tier=tier)

    def owned_by(self, user):
        return self.filter(owner=user)

    def beneath(self, item: ThreadItem):
        """KPIs placed on `item` or anywhere beneath it, in one query."""
        return self.filter(thread_item__path__startswith=item.path)


class Kpi(models.Model):
    class Tier(models.IntegerChoices):
        PLAN = 1, "Tier 1: Plan KPI"
        PRIORITY = 2, "Tier 2: Priority KPI"
        OPERATIONAL = 3, "Tier 3: Operational indicator"

    class Unit(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage"
        NUMBER = "number", "Number"
        DAYS = "days", "Days"
        MONEY = "money", "£"
        RATE = "rate", "Rate"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"

    class Accumulation(models.TextChoices):
        SNAPSHOT = "snapshot", "Snapshot"
        CUMULATIVE = "cumulative", "Cumulative year to date"

    reference = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.OPERATIONAL)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.NUMBER)
    unit_label = models.CharField(
        max_length=100, blank=True, help_text="How the unit reads in full, for example “days (average)”."
    )
    decimal_places = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(6)])
    polarity = models.CharField(
        max_length=10, choices=[(p.value, p.label) for p in rag.Polarity], default=rag.Polarity.HIGHER
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    accumulation = models.CharField(max_length=10, choices=Accumulation.choices, default=Accumulation.SNAPSHOT)
    allows_over_100 = models.BooleanField(
        default=False, help_text="A percentage KPI that may exceed 100 (for example a growth rate)."
    )
    numerator_label = models.CharField(
        max_length=200, blank=True, help_text="For a rate KPI: what the numerator counts."
    )
    denominator_label = models.CharField(
        max_length=200, blank=True, help_text="For a rate KPI: what the denominator counts."
    )
    rate_multiplier = models.PositiveIntegerField(
        default=100, help_text="Numerator ÷ denominator × this: 100 for a percentage, 1,000 for a rate per 1,000."
    )
    data_source = models.CharField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_kpis"
    )
    delegates = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="delegated_kpis",
        help_text="Officers who may enter this KPI's returns on the owner's behalf.",
    )
    directorate = models.ForeignKey(Directorate, on_delete=models.SET_NULL, null=True, blank=True)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True)
    thread_item = models.ForeignKey(
        ThreadItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpis",
        verbose_name="place in the golden thread",
        help_text="The plan item this KPI measures. A KPI with none is listed as an orphan.",
    )
    baseline = decimal_field(null=True, blank=True)
    baseline_label = models.CharField(max_length=100, blank=True, help_text="For example “2013/14 outturn”.")
    is_active = models.BooleanField(default=True)
    import_key = models.CharField(
        max_length=400, unique=True, null=True, blank=True, editable=False,
        help_text="Identity of a KPI loaded from a published scorecard, so a second load matches it.",
    )

    history = HistoricalRecords()

    objects = KpiQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = "KPI"

    def __str__(self):
        return f"{self.reference} {self.name}"

    @property
    def polarity_enum(self) -> rag.Polarity:
        return rag.Polarity(self.polarity)

    @property
    def is_rate(self) -> bool:
        return bool(self.numerator_label and self.denominator_label)

    @property
    def is_cumulative(self) -> bool:
        return self.accumulation == self.Accumulation.CUMULATIVE

    @property
    def unit_for_display(self) -> str:
        if self.unit == self.Unit.PERCENTAGE:
            return "%"
        if self.unit == self.Unit.MONEY:
            return "£"
        return ""

    def format(self, value: Decimal | None) -> str:
        return rag.format_value(value, self.decimal_places, unit=self.unit_for_display)

    def clean(self):
        if self.service_id and self.directorate_id and self.service.directorate_id != self.directorate_id:
            message = (
                f"{self.service} is in {self.service.directorate}, not {self.directorate}: "
                "choose a service of the directorate."
            )
            raise ValidationError({"service": message})

    def is_due(self, period: Period) -> bool:
        """Return whether a value falls due in `period`: every month, each quarter end, or the year end."""
        if self.frequency == self.Frequency.QUARTERLY:
            return period.is_quarter_end
        if self.frequency == self.Frequency.ANNUAL:
            return period.number == 12
        return True


class TargetQuerySet(models.QuerySet):
    def in_force(self, kpi_id: int, period: Period):
        """The target version in force for `period`: the latest one effective at or before it."""
        return (
            self.filter(kpi_id=kpi_id, financial_year=period.year, effective_from__lte=period.number)
            .order_by("-effective_from")
            .first()
        )


class Target(models.Model):
    """A KPI's target for one financial year, from a stated period onwards.

    A target in force is never edited in place: a re-baseline adds a version
    with a later `effective_from`, so earlier periods keep the target they
    were rated against.
    """

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    financial_year = models.PositiveSmallIntegerField(help_text="Start year, for example 2025 for 2025/26.")
    effective_from = models.PositiveSmallIntegerField(
        default=1, validators=PERIOD_NUMBER_VALIDATORS, help_text="First period (1 = April) this version applies to."
    )
    value = decimal_field(null=True, blank=True, help_text="The target; leave blank for a range.")
    lower = decimal_field(null=True, blank=True, help_text="Bottom of the range, for a range KPI.")
    upper = decimal_field(null=True, blank=True, help_text="Top of the range, for a range KPI.")
    tolerance = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=rag.DEFAULT_TOLERANCE,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=(
            "The Amber band as a proportion of the target: 0.05 is 5%. A zero target has "
            "a zero-width band, so with lower is better any value above 0 is Red."
        ),
    )
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["kpi", "financial_year", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "financial_year", "effective_from"], name="target_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.kpi.reference} {FinancialYear(self.financial_year).label} from P{self.effective_from}"

    def profiled_value(self, period_number: int) -> Decimal | None:
        """Return the trajectory value for the period where the target is profiled, otherwise the annual value.

        Reads `self.profile`, which is one query unless prefetched.
        """
        profile = {point.period: point.value for point in self.profile.all()}
        return rag.profiled_target(self.value, profile, period_number)

    def clean(self):
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValidationError({"upper": "The top of the range is below the bottom: swap them."})


class TargetProfile(models.Model):
    """One point of a profiled (trajectory) target."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="profile")
    period = models.PositiveSmallIntegerField(validators=PERIOD_NUMBER_VALIDATORS)
    value = decimal_field()

    history = HistoricalRecords()

    class Meta:
        ordering = ["target", "period"]
        constraints = [
            models.UniqueConstraint(fields=["target", "period"], name="target_profile_unique_period"),
        ]

    def __str__(self):
        return f"{self.target} P{self.period}: {self.value}"


class KpiValueQuerySet(models.QuerySet):
    def for_period(self, period: Period):
        return self.filter(financial_year=period.year, period=period.number)

    def up_to(self, period: Period):
        return self.filter(
            models.Q(financial_year__lt=period.year)
            | models.Q(financial_year=period.year, period__lte=period.number)
        )


class KpiValue(models.Model):
    """A KPI's value for one period, with the narrative that explains it.

    A quarterly KPI's value sits in the quarter's last month and an annual
    KPI's in month 12. A missing value is stored as NULL, never as zero.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for changes"
        SIGNED_OFF = "signed_off", "Signed off"

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    financial_year = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField(validators=PERIOD_NUMBER_VALIDATORS)
    value = decimal_field(null=True, blank=True)
    numerator = decimal_field(null=True, blank=True)
    denominator = decimal_field(null=True, blank=True)
    commentary = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    recovery = models.TextField(blank=True)
    support_needed = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    returned_comment = models.TextField(blank=True, help_text="Why the return was sent back for changes.")
    is_unlocked = models.BooleanField(
        default=False, help_text="SPP unlocked this value in a locked period; the reason is kept in its history."
    )
    unlock_reason = models.CharField(max_length=300, blank=True)
    published_rating = models.CharField(
        max_length=100, blank=True, help_text="The rating the council published, for a value loaded from a scorecard."
    )
    source = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = KpiValueQuerySet.as_manager()

    class Meta:
        ordering = ["kpi", "financial_year", "period"]
        verbose_name = "KPI value"
        constraints = [
            models.UniqueConstraint(fields=["kpi", "financial_year", "period"], name="kpi_value_unique_period"),
        ]

    def __str__(self):
        return f"{self.kpi.reference} {self.period_obj.label}"

    @property
    def period_obj(self) -> Period:
        return Period(self.financial_year, self.period)

    @property
    def is_editable(self) -> bool:
        """Whether the value may change: its period is open, or SPP unlocked this value."""
        return self.is_unlocked or not PeriodLock.objects.is_locked(self.period_obj)

    def save(self, *args, **kwargs):
        # Locking is enforced here as well as in the services, so admin,
        # imports and scripts obey it too.
        if not self.is_editable and self._changes_locked_fields():
            raise PeriodLockedError(self.period_obj)
        super().save(*args, **kwargs)

    def _changes_locked_fields(self) -> bool:
        if self.pk is None:
            return True
        stored = KpiValue.objects.filter(pk=self.pk).values(*LOCKED_FIELDS).first()
        if stored is None:
            return True
        return any(stored[name] != getattr(self, name) for name in LOCKED_FIELDS)


# Fields a locked period protects; status may still move (for example to signed off).
LOCKED_FIELDS = ("value", "numerator", "denominator", "commentary", "cause", "recovery", "support_needed")


class PeriodLockedError(ValidationError):
    def __init__(self, period: Period):
        self.period = period
        super().__init__(
            f"{period.long_label} is locked because it has been reported. "
            "Ask the performance team (SPP) to unlock the value if it must change."
        )


class PeriodLockQuerySet(models.QuerySet):
    def is_locked(self, period: Period) -> bool:
        return self.filter(financial_year=period.year, period=period.number, is_locked=True).exists()


class PeriodLock(models.Model):
    """Whether a period is locked because it has been reported."""

    financial_year = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField(validators=PERIOD_NUMBER_VALIDATORS)
    is_locked = models.BooleanField(default=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = PeriodLockQuerySet.as_manager()

    class Meta:
        ordering = ["-financial_year", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["financial_year", "period"], name="period_lock_unique_period"),
        ]

    def __str__(self):
        state = "locked" if self.is_locked else "open"
        return f"{Period(self.financial_year, self.period).long_label}: {state}"


class ReturnDeadline(models.Model):
    """The deadline for a period's returns, where it differs from the default working-day rule."""

    financial_year = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField(validators=PERIOD_NUMBER_VALIDATORS)
    due_on = models.DateField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-financial_year", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["financial_year", "period"], name="return_deadline_unique_period"),
        ]

    def __str__(self):
        return f"{Period(self.financial_year, self.period).long_label}: due {self.due_on:%d %B %Y}"


class ReminderSent(models.Model):
    """A reminder sent for one return at one stage, so each return gets one per stage."""

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    kpi = models.ForeignKey("kpis.Kpi", on_delete=models.CASCADE, related_name="reminders_sent")
    financial_year = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_on = models.DateField()

    class Meta:
        ordering = ["-sent_on"]
        verbose_name = "reminder sent"
        verbose_name_plural = "reminders sent"
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "financial_year", "period", "stage"], name="reminder_sent_unique_stage"
            ),
        ]

    def __str__(self):
        return f"{self.kpi_id} {Period(self.financial_year, self.period).label} {self.get_stage_display()}"
