"""Forms of the lead's pages (issue 10 item 1). They parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core import clock
from core.uploads import MultipleFileField, MultipleFileInput
from schools.forms import PupilCountFilterForm

from .models import (
    Agency,
    BullyingAct,
    BullyingMeasure,
    BullyingReporter,
    BullyingRole,
    BullyingSeverity,
    ContactMethod,
    DisputeKind,
    DisputeRisk,
    ReportMethod,
    Situation,
)


class ConcernForm(forms.Form):
    """登记疑似情况, built for a phone: who the child is in the words a member
    of staff has (class, name, details), what was seen, when and where, what
    was done. `classes` are the school's classes this school year."""

    school_class = forms.ModelChoiceField(
        label=_("Class"), queryset=None, required=False,
        empty_label=_("Not known, or not a pupil of the school"))
    child_name = forms.CharField(label=_("The child's name"), max_length=50, required=False)
    child_details = forms.CharField(
        label=_("Anything else that says who the child is"), max_length=150, required=False,
        help_text=_("For a child you do not know or who is not a pupil here: age, what they "
                    "wore, where you met them. No ID-card number."))
    observed = forms.CharField(
        label=_("What you saw or heard"), max_length=4000,
        help_text=_("Objective words: what you saw and heard, not what you think it means."),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what you saw or heard.")})
    child_words = forms.CharField(
        label=_("The child's own words"), max_length=2000, required=False,
        help_text=_("As the child said them, if they said anything."),
        widget=forms.Textarea(attrs={"rows": 2}))
    observed_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                      format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": _("Say when it happened."),
                        "invalid": _("Give the date and time, e.g. 2026-12-01 08:30.")})
    place = forms.CharField(label=_("Where"), max_length=200, required=False)
    immediate_actions = forms.CharField(
        label=_("What was done at once"), max_length=2000, required=False,
        help_text=_("E.g. the child is with the school doctor; the class was moved."),
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes


class CountsFilterForm(PupilCountFilterForm):
    """The filters of the bureau view: a calendar year (one of `years`) and,
    as on the priority-group counts, a school type."""

    field_order = ["year", "school_type"]

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False,
                                  error_messages={"invalid_choice": _(
                                      "There are no counts for that year; choose one from "
                                      "the list.")})

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["year"].widget.attrs["class"] = "form-select"

    @classmethod
    def recent(cls, data=None) -> CountsFilterForm:
        """The filter offering this year and the four before it (Asia/Shanghai),
        this year chosen; bound to `data` (request.GET) if any."""
        this_year = clock.today().year
        return cls(data, years=list(range(this_year, this_year - 5, -1)),
                   initial={"year": this_year})


class LeadsForm(forms.Form):
    """强制报告负责人: the school's staff, the leads ticked."""

    leads = forms.TypedMultipleChoiceField(
        label=_("Mandatory-reporting leads"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose among the school's staff.")})

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].choices = [
            (person.pk, f"{person.name}（{'、'.join(person.roles)}）")
            for person in staff]


class ReferralOpenForm(forms.Form):
    situations = forms.MultipleChoiceField(
        label=_("Situations (2020 Opinion, Art. 4)"), choices=Situation.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one situation.")})


class AgencyReportForm(forms.Form):
    agency = forms.ChoiceField(label=_("Department"), choices=Agency.choices)
    reported_at = forms.DateTimeField(
        label=_("Reported at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    receiving_unit = forms.CharField(label=_("Receiving unit"), max_length=100)
    officer = forms.CharField(label=_("Officer"), max_length=50, required=False)
    method = forms.ChoiceField(label=_("How"), choices=ReportMethod.choices)
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=64, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(
        attrs={"rows": 3}))


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Outcome"), max_length=4000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


# ------------------------------------------------------------------ dispute screening


class DisputeForm(forms.Form):
    """One dispute found in the month's screening. `responsible` lists the
    school's staff (disputes.responsible_choices)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *DisputeKind.choices],
                             error_messages={"required": _("Choose the kind of dispute.")})
    parties = forms.CharField(
        label=_("Parties, by their role"), max_length=200,
        help_text=_("Never by name: e.g. two pupils of grade 7; a teacher and a pupil's "
                    "father."),
        error_messages={"required": _("Say who the parties are, by their role.")})
    summary = forms.CharField(
        label=_("What it is about"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what the dispute is about.")})
    risk = forms.ChoiceField(label=_("Risk level"),
                             choices=[("", "---------"), *DisputeRisk.choices],
                             error_messages={"required": _("Choose the risk level.")})
    responsible = forms.TypedChoiceField(
        label=_("Responsible person"), coerce=int,
        error_messages={"required": _("Choose a member of the school's staff."),
                        "invalid_choice": _("Choose a member of the school's staff.")})
    found_on = forms.DateField(
        label=_("Found on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the date."),
                        "invalid": _("Give the date, e.g. 2026-12-01.")})

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = [("", "---------"), *staff]


class DisputeReturnSubmitForm(forms.Form):
    none_found = forms.BooleanField(
        label=_("No dispute was found this month"), required=False)


class DisputeSettleForm(forms.Form):
    """The end of a dispute's mediation: resolved, or transferred to a body."""

    action = forms.ChoiceField(choices=[("resolve", _("Resolved")),
                                        ("transfer", _("Transferred"))],
                               widget=forms.HiddenInput)
    on = forms.DateField(label=_("On"), widget=forms.DateInput(attrs={"type": "date"},
                                                               format="%Y-%m-%d"),
                         error_messages={"required": _("Give the date."),
                                         "invalid": _("Give the date, e.g. 2026-12-01.")})
    transferred_to = forms.CharField(label=_("Transferred to"), max_length=100, required=False,
                                     help_text=_("E.g. the township's mediation committee, "
                                                 "the police station."))


class DueDayForm(forms.Form):
    due_day = forms.TypedChoiceField(
        label=_("The monthly return is due on"), coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("Choose a day from the list.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here, not at import: the choices are in the reader's language.
        self.fields["due_day"].choices = [
            (0, _("the last day of the month screened")),
            *((d, _("day %(day)s of the following month") % {"day": d}) for d in range(1, 29))]


# ------------------------------------------------------------------ bullying

_DATETIME = {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                           format="%Y-%m-%dT%H:%M"),
             "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]}
_DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
_BAD_TIME = {"invalid": _("Give the date and time, e.g. 2026-12-01 08:30.")}
_BAD_DATE = {"invalid": _("Give the date, e.g. 2026-12-01.")}
PARTY_ROWS = 6


class BullyingReportForm(forms.Form):
    """登记欺凌事件: who reported it and when, the acts, what happened, and up
    to PARTY_ROWS pupils involved (class, name, role) — blank lines are
    ignored. `classes` are the school's classes this school year."""

    reporter = forms.ChoiceField(label=_("Reported by"),
                                 choices=[("", "---------"), *BullyingReporter.choices])
    reported_at = forms.DateTimeField(label=_("When the school learned of it"),
                                      error_messages=_BAD_TIME, **_DATETIME)
    acts = forms.MultipleChoiceField(label=_("Acts"), choices=BullyingAct.choices,
                                     widget=forms.CheckboxSelectMultiple,
                                     error_messages={"required": _(
                                         "Choose at least one kind of act.")})
    description = forms.CharField(label=_("What happened"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("Objective words: who did what, as far as known."))
    occurred_on = forms.DateField(label=_("When it happened"), required=False,
                                  error_messages=_BAD_DATE, **_DATE)
    place = forms.CharField(label=_("Where"), max_length=200, required=False)

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        class_choices = [("", "---------"), *((c.pk, str(c)) for c in classes)]
        role_choices = [("", "---------"), *BullyingRole.choices]
        for n in range(PARTY_ROWS):
            self.fields[f"class_{n}"] = forms.TypedChoiceField(
                label=_("Class"), choices=class_choices, coerce=int, required=False,
                empty_value=None, widget=forms.Select(attrs={"class": "form-select"}))
            self.fields[f"name_{n}"] = forms.CharField(label=_("Name"), max_length=50,
                                                       required=False)
            self.fields[f"role_{n}"] = forms.ChoiceField(
                label=_("Role"), choices=role_choices, required=False,
                widget=forms.Select(attrs={"class": "form-select"}))

    def party_rows(self):
        """[(class field, name field, role field)] for the template."""
        return [(self[f"class_{n}"], self[f"name_{n}"], self[f"role_{n}"])
                for n in range(PARTY_ROWS)]

    def involved(self):
        from .bullying import Involved

        data = self.cleaned_data
        return [Involved(school_class_id=data.get(f"class_{n}"), name=data.get(f"name_{n}", ""),
                         role=data.get(f"role_{n}", "")) for n in range(PARTY_ROWS)]


class BullyingStopForm(forms.Form):
    stopped_at = forms.DateTimeField(label=_("Stopped at"), error_messages=_BAD_TIME,
                                     **_DATETIME)
    safety_measures = forms.CharField(
        label=_("What keeps the pupils safe now"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}))


class GuardianContactForm(forms.Form):
    side = forms.ChoiceField(label=_("Whose guardians"), choices=[
        (BullyingRole.TARGET.value, _("The bullied pupil's guardians")),
        (BullyingRole.PERPETRATOR.value, _("The guardians of those who carried it out"))])
    informed_at = forms.DateTimeField(label=_("Informed at"), error_messages=_BAD_TIME,
                                      **_DATETIME)
    method = forms.ChoiceField(label=_("How"), choices=ContactMethod.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class BullyingDecisionForm(forms.Form):
    committee_on = forms.DateField(label=_("The committee met on"), error_messages=_BAD_DATE,
                                   **_DATE)
    committee_members = forms.CharField(label=_("Members present"), max_length=500)
    investigation_findings = forms.CharField(
        label=_("What the investigation found"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}))
    is_bullying = forms.TypedChoiceField(
        label=_("Is it bullying?"), coerce=lambda v: v == "yes", empty_value=None,
        choices=[("yes", _("Yes, it is bullying")), ("no", _("No, it is not bullying"))],
        widget=forms.RadioSelect)
    finding = forms.CharField(label=_("The committee's finding"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=[("", "---------"), *BullyingSeverity.choices])
    measures = forms.MultipleChoiceField(label=_("Measures"), required=False,
                                         choices=BullyingMeasure.choices,
                                         widget=forms.CheckboxSelectMultiple)


class AppealForm(forms.Form):
    appealed_on = forms.DateField(label=_("Appealed on"), error_messages=_BAD_DATE, **_DATE)


class VisitAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Who visits"), coerce=int)
    due_on = forms.DateField(label=_("By"), error_messages=_BAD_DATE, **_DATE)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "---------"), *staff]


class LinkReferralForm(forms.Form):
    referral = forms.ChoiceField(label=_("Mandatory report"), required=False)

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].choices = [("", "---------"), *referrals]


class TextForm(forms.Form):
    """A note, a support record or a visit: one text."""

    text = forms.CharField(label=_("What was done"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    """Photos of injuries or of documents for a referral."""

    files = MultipleFileField(
        label=_("Photos"), required=False,
        widget=MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,image/heic,image/heif,.heic,.heif,image/*"}),
        help_text=_("JPEG, PNG or HEIC, up to 10 MB each. A document: photograph it."))
    caption = forms.CharField(label=_("What it shows"), max_length=200,
                              error_messages={"required": _("Say what the photo shows.")})
