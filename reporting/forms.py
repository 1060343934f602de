from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SECTIONS, Measure, ProgressReport, ReportStatus
from .services import MAX_SECTION_CHARS


class ReportForm(forms.Form):
    """The report's sections (by the deadline's kind) and the plan's seven
    measures, each a checkbox with its narrative. Nothing is required to save a
    draft; what submission needs is checked by the service and shown here."""

    def __init__(self, *args, report: ProgressReport | None, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        sections = report.sections if report else {}
        ticked = {m.measure: m.narrative for m in report.measures.all()} if report else {}
        for key, label in SECTIONS[kind]:
            self.fields[key] = forms.CharField(
                label=label, required=False, max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 4}), initial=sections.get(key, ""))
        for value, label in Measure.choices:
            self.fields[f"measure_{value}_on"] = forms.BooleanField(
                label=label, required=False, initial=value in ticked,
                widget=forms.CheckboxInput(attrs={"data-toggles": f"id_measure_{value}"}))
            self.fields[f"measure_{value}"] = forms.CharField(
                label=_("What was done"), required=False, max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}), initial=ticked.get(value, ""))
        self.section_keys = [key for key, _label in SECTIONS[kind]]

    def section_fields(self):
        return [self[key] for key in self.section_keys]

    def measure_fields(self):
        return [(self[f"measure_{v}_on"], self[f"measure_{v}"]) for v in Measure.values]

    def sections_data(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key in self.section_keys}

    def measures_data(self) -> dict[str, str]:
        return {v: self.cleaned_data.get(f"measure_{v}", "") for v in Measure.values
                if self.cleaned_data.get(f"measure_{v}_on")}


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for returning the report.")})


class ReviewFilterForm(forms.Form):
    deadline = forms.ModelChoiceField(queryset=None, required=False, label=_("deadline"),
                                      empty_label=_("All deadlines"))
    school_type = forms.ChoiceField(required=False, label=_("School type"))
    status = forms.ChoiceField(required=False, label=_("status"))

    def __init__(self, *args, deadlines, **kwargs):
        super().__init__(*args, **kwargs)
        from schools.models import SchoolType

        self.fields["deadline"].queryset = deadlines
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"
        self.fields["school_type"].choices = [("", _("All types")), *SchoolType.choices]
        self.fields["status"].choices = [
            ("", _("Awaiting review")),
            *[(s.value, s.label) for s in ReportStatus if s != ReportStatus.DRAFT]]
