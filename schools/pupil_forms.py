"""Forms of a pupil's page (issue 9 items 2, 5, 8): they parse and check what
was typed; schools.pupil_services does the writing and re-checks the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core import clock

from . import phones
from .pupil_models import DifficultyType, GuardianRelationship, PriorityGroup, PupilStatus
from .student_numbers import clean_text


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _blank_first(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


class CircumstanceForm(forms.Form):
    group = forms.ChoiceField(label=_("Priority group"), choices=_blank_first(
        PriorityGroup.choices), error_messages={"required": _("Choose the priority group.")})
    difficulty_type = forms.ChoiceField(
        label=_("Kind of difficulty"), choices=_blank_first(DifficultyType.choices),
        required=False, help_text=_("Only for a child in difficulty (困境儿童)."))
    since = forms.DateField(label=_("Since"), widget=DateInput(),
                            error_messages={"required": _("Give the day it started.")})
    until = forms.DateField(label=_("Until"), widget=DateInput(), required=False,
                            help_text=_("Leave empty while it lasts."))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("At most 2000 characters. Facts the school needs; no ID numbers."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("since", clock.today())

    def clean(self):
        data = super().clean()
        group, kind = data.get("group"), data.get("difficulty_type")
        if group == PriorityGroup.IN_DIFFICULTY and not kind:
            self.add_error("difficulty_type", _("Choose the kind of difficulty."))
        elif group and group != PriorityGroup.IN_DIFFICULTY and kind:
            self.add_error("difficulty_type",
                           _("A kind of difficulty is only for a child in difficulty."))
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end cannot be before the start."))
        return data


class CircumstanceEndForm(forms.Form):
    until = forms.DateField(label=_("Ended on"), widget=DateInput(),
                            error_messages={"required": _("Give the day it ended.")})

    def __init__(self, *args, since=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = since
        if not self.is_bound:
            self.initial.setdefault("until", clock.today())

    def clean_until(self):
        until = self.cleaned_data["until"]
        if self.since is not None and until < self.since:
            raise forms.ValidationError(
                _("The end cannot be before the start (%(since)s)."),
                params={"since": self.since.isoformat()})
        return until


def normalise_phone(value: str) -> str:
    """schools.phones.normalise_phone as a form field's cleaner: raises
    forms.ValidationError (code "phone")."""
    try:
        return phones.normalise_phone(value)
    except phones.InvalidPhone as exc:
        raise forms.ValidationError(str(exc), code="phone") from None


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50,
                           error_messages={"required": _("Give the guardian's name.")})
    relationship = forms.ChoiceField(
        label=_("Relationship"), choices=_blank_first(GuardianRelationship.choices),
        error_messages={"required": _("Choose the relationship to the child.")})
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "off"}))
    lives_with_child = forms.BooleanField(label=_("Lives with the child"), required=False)
    works_away = forms.BooleanField(label=_("Works away from home"), required=False)
    works_away_place = forms.CharField(label=_("Where they work"), max_length=100,
                                       required=False)
    is_primary = forms.BooleanField(
        label=_("Primary contact"), required=False,
        help_text=_("The school calls this guardian first; the previous primary contact "
                    "stops being one."))

    def clean_name(self):
        return clean_text(self.cleaned_data["name"]).strip()

    def clean_phone(self):
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def clean(self):
        data = super().clean()
        if data.get("works_away") and not (data.get("works_away_place") or "").strip():
            self.add_error("works_away_place", _("Say where they work (a city or province)."))
        return data


class PupilStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"),
                               choices=_blank_first(PupilStatus.choices),
                               error_messages={"required": _("Choose a status.")})
    on = forms.DateField(label=_("Effective on"), widget=DateInput(),
                         error_messages={"required": _("Give the day it took effect.")})
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("Give the reason.")})

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        if not self.is_bound:
            self.initial.setdefault("on", clock.today())

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status == self.current:
            raise forms.ValidationError(_("The pupil already has this status."))
        return status

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > clock.today():
            raise forms.ValidationError(_("The day cannot be in the future."))
        return on
