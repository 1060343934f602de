import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core import clock
from core.uploads import MultipleFileField, MultipleFileInput

from .models import SECTIONS, DeadlineKind, Measure, ProgressReport
from .services import MAX_SECTION_CHARS


class ReportForm(forms.Form):
    """The report's sections (by the deadline's kind) and the plan's seven
    measures, each a checkbox with its narrative. Nothing is required to save a
    draft; what submission needs is checked by the service
    (services.report_missing_parts) and shown here. The widgets carry the same
    needs as markup (data-needed-for-submit, data-needed-when, and
    `needs_a_measure` for the form tag) so that the page asks "submit?" only
    for a complete report (issue 8, walk-through i); the server still decides."""

    def __init__(self, *args, report: ProgressReport | None, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        sections = report.sections if report else {}
        ticked = {m.measure: m.narrative for m in report.measures.all()} if report else {}
        for key, label in SECTIONS[kind]:
            self.fields[key] = forms.CharField(
                label=label, required=False, max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 4, "data-needed-for-submit": ""}),
                initial=sections.get(key, ""))
        for value, label in Measure.choices:
            self.fields[f"measure_{value}_on"] = forms.BooleanField(
                label=label, required=False, initial=value in ticked,
                widget=forms.CheckboxInput(attrs={"data-toggles": f"id_measure_{value}",
                                                  "data-measure-tick": ""}))
            self.fields[f"measure_{value}"] = forms.CharField(
                label=_("What was done"), required=False, max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 3,
                                             "data-needed-when": f"id_measure_{value}_on"}),
                initial=ticked.get(value, ""))
        self.section_keys = [key for key, _label in SECTIONS[kind]]
        self.needs_a_measure = kind == DeadlineKind.PROGRESS

    def section_fields(self):
        return [self[key] for key in self.section_keys]

    def measure_fields(self):
        return [(self[f"measure_{v}_on"], self[f"measure_{v}"]) for v in Measure.values]

    def sections_data(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key in self.section_keys}

    def measures_data(self) -> dict[str, str]:
        return {v: self.cleaned_data.get(f"measure_{v}", "") for v in Measure.values
                if self.cleaned_data.get(f"measure_{v}_on")}


MAX_RETURN_REASON = 2000  # characters


class ReturnForm(forms.Form):
    """退回's reason. Too long a reason is refused in the portal's words, and
    the text box carries no maxlength: a browser would cut a pasted reason
    short without a word (issue 8 item 9)."""

    reason = forms.CharField(
        label=_("Reason for return"), max_length=MAX_RETURN_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=format_lazy(_("At most {limit} characters. Line breaks are kept."),
                              limit=MAX_RETURN_REASON),
        error_messages={
            "required": _("Give the reason for returning the report."),
            "max_length": _("The reason can be at most %(limit_value)d characters; it has "
                            "%(show_value)d. Shorten it and return the report again."),
        })

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs.pop("maxlength", None)


class PhotoForm(forms.Form):
    photos = MultipleFileField(
        label=_("Photos"), required=False,
        widget=MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,image/heic,image/heif,.heic,.heif,image/*"}),
        help_text=_("JPEG, PNG or HEIC, up to 10 MB each, at most 20 per report."))
    caption = forms.CharField(label=_("Caption"), max_length=200,
                              error_messages={"required": _("Say what the photo shows.")})
    taken_on = forms.DateField(label=_("Date of the activity"),
                               widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, *args, earliest: dt.date | None = None, **kwargs):
        """`earliest`: the first day an activity of this report can have taken place
        (the campaign's first reporting month); None accepts any past date."""
        super().__init__(*args, **kwargs)
        self.earliest = earliest
        self.fields["taken_on"].initial = clock.today()
        if earliest is not None:
            self.fields["taken_on"].widget.attrs["min"] = earliest.isoformat()
        self.fields["taken_on"].widget.attrs["max"] = clock.today().isoformat()

    def clean_taken_on(self):
        """An activity date lies between the campaign's start and today (Asia/Shanghai):
        a photo dated 1900-01-01 or next week is a slip of the date picker (issue 8,
        walk-through j)."""
        value = self.cleaned_data["taken_on"]
        if value > clock.today():
            raise forms.ValidationError(_("The activity date cannot be in the future."))
        if self.earliest is not None and value < self.earliest:
            raise forms.ValidationError(
                _("The activity date cannot be before the campaign began (%(date)s).")
                % {"date": date_format(self.earliest, "DATE_FORMAT")})
        return value


class BulletinForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    addressees = forms.CharField(label=_("addressed to"), max_length=200, required=False)
    body = forms.CharField(label=_("wording"), widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=5000,
                           help_text=_("One paragraph per line. State the date for late "
                                       "reports in the wording."))
    remedy_by = forms.DateField(label=_("submit late reports by"), required=False,
                                widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    cc = forms.CharField(label=_("copied to"), max_length=200, required=False)
