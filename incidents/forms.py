"""Forms of the lead's pages (issue 10 item 1). They parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Agency, ReportMethod, Situation


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
