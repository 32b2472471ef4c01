"""Forms of the monthly returns: they carry the input and its messages; the rules live in services."""

from datetime import date

from django import forms

from golden_thread.actions import UPDATE_FIELDS as ACTION_FIELDS
from golden_thread.models import ThreadItem
from pmf import rag
from pmf.periods import Period

from .models import Kpi
from .returns import FIELD_LABELS, NARRATIVE_FIELDS, ReturnData, parse_return

OWNER_RATINGS = (rag.Rating.GREEN, rag.Rating.AMBER, rag.Rating.RED)
NARRATIVE_HINTS = {
    "cause": "What caused the performance.",
    "recovery": "What is being done to recover.",
    "support_needed": "What support or escalation is needed, or “None”.",
}


def text_field(name: str, *, textarea: bool = False, hint: str = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput(attrs={"inputmode": "decimal"})
    return forms.CharField(label=FIELD_LABELS.get(name, name), required=False, widget=widget, help_text=hint,
                           strip=False)


class NarrativeMixin:
    """Cause, recovery and support needed: required for Amber or Red, hidden otherwise unless filled in."""

    narrative_required = False
    narrative_visible = False

    def show_narrative(self, rating: rag.Rating) -> None:
        self.narrative_required = rag.needs_explanation(rating)
        has_text = any((self[name].value() or "").strip() for name in NARRATIVE_FIELDS)
        self.narrative_visible = self.narrative_required or has_text
        for name in NARRATIVE_FIELDS:
            self.fields[name].widget.attrs["required"] = self.narrative_required


class ReturnForm(NarrativeMixin, forms.Form):
    """A KPI's return for one period. Numbers stay text here: `parse_return` reads the British format.

    Build it with `kpi`, `period` and `today`; after `is_valid()`, `return_data`
    contains the parsed return for `save_return`.
    """

    value = text_field("value")
    numerator = text_field("numerator")
    denominator = text_field("denominator")
    commentary = text_field(
        "commentary", textarea=True, hint="What is behind the figure and the trend, and what is being done."
    )
    cause = text_field("cause", textarea=True, hint=NARRATIVE_HINTS["cause"])
    recovery = text_field("recovery", textarea=True, hint=NARRATIVE_HINTS["recovery"])
    support_needed = text_field("support_needed", textarea=True, hint=NARRATIVE_HINTS["support_needed"])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, kpi: Kpi, period: Period, today: date, **kwargs):
        kwargs.setdefault("prefix", f"kpi-{kpi.pk}")
        super().__init__(*args, **kwargs)
        self.kpi, self.period, self.today = kpi, period, today
        self.return_data: ReturnData | None = None
        if kpi.is_rate:
            self.fields["numerator"].label = kpi.numerator_label
            self.fields["denominator"].label = kpi.denominator_label
            del self.fields["value"]
        else:
            del self.fields["numerator"], self.fields["denominator"]
            if kpi.unit_label:
                self.fields["value"].help_text = f"In {kpi.unit_label}."

    @classmethod
    def initial_for(cls, record) -> dict:
        if record is None:
            return {"version": 0}
        initial = {name: getattr(record, name) for name in (*FIELD_LABELS, "version")}
        for name in ("value", "numerator", "denominator"):
            initial[name] = "" if initial[name] is None else f"{initial[name].normalize():f}"
        return initial

    def clean(self):
        raw = {name: self.cleaned_data.get(name) for name in FIELD_LABELS}
        self.return_data = parse_return(self.kpi, self.period, raw, today=self.today)
        self.add_errors(self.return_data.errors)
        return self.cleaned_data

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show each message beside its field; one about a field this form lacks goes to the top."""
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)



class ActionForm(NarrativeMixin, forms.Form):
    """An action's progress update, with the history revision it was opened at."""

    delivery_status = forms.ChoiceField(
        label="Delivery status", choices=[(s.value, s.label) for s in rag.DeliveryStatus]
    )
    forecast_end_on = forms.DateField(
        label="Forecast end date", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When you now expect it to be finished.",
    )
    owner_rating = forms.ChoiceField(
        label="Your rating",
        required=False,
        choices=[("", "Not rated yet"), *[(r.value, r.label) for r in OWNER_RATINGS]],
        help_text="Green on track; Amber at risk of delay or change; Red off track.",
    )
    commentary = forms.CharField(label="Commentary", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cause = forms.CharField(label="Cause", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=NARRATIVE_HINTS["cause"])
    recovery = forms.CharField(label="Recovery", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=NARRATIVE_HINTS["recovery"])
    support_needed = forms.CharField(label="Support needed", required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=NARRATIVE_HINTS["support_needed"])
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, item: ThreadItem, **kwargs):
        kwargs.setdefault("prefix", f"action-{item.pk}")
        super().__init__(*args, **kwargs)
        self.item = item

    @staticmethod
    def initial_for(item: ThreadItem, revision: int) -> dict:
        initial = {name: getattr(item, name) for name in ACTION_FIELDS}
        initial["delivery_status"] = initial["delivery_status"] or rag.DeliveryStatus.NOT_STARTED
        initial["revision"] = revision
        return initial



class ReturnCommentForm(forms.Form):
    comment = forms.CharField(
        label="What should the officer change?",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Comment is required: tell the officer what to change."},
    )


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label="Why must this locked value change?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Reason is required: say why the locked value must change."},
    )


class LockForm(forms.Form):
    period = forms.CharField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I confirm this period has been reported and its values should be locked",
        error_messages={"required": "Tick the box to confirm the period has been reported."},
    )

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
