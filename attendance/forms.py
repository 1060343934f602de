"""Forms of attendance's pages. They parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ContactMethod


class ContactForm(forms.Form):
    """联系家长: how, reached or not, and from a guardian reached the reason
    and when the pupil comes back."""

    method = forms.ChoiceField(label=pgettext_lazy("contact", "How"),
                               choices=ContactMethod.choices,
                               widget=forms.RadioSelect)
    reached = forms.TypedChoiceField(
        label=_("Were the guardians reached?"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes, reached")), ("no", _("Not reached"))],
        widget=forms.RadioSelect)
    reason = forms.CharField(label=_("The reason they gave"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    expected_back_on = forms.DateField(
        label=_("Expected back on"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give the date, e.g. 2026-12-01.")})
