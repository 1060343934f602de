"""The auditor's filters (reporting/filters.py explains the pattern): by person,
action, record (type and code), school, outcome and date range.

Dates are calendar days in the bureau's zone: "from" includes the whole first
day, "to" the whole last day (core.clock.start_of_day / end_of_day).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from schools.models import School

from . import actions
from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="username", label=_("Person (username)"))
    action = django_filters.ChoiceFilter(choices=actions.choices, label=_("action"),
                                         empty_label=_("All actions"))
    target_type = django_filters.CharFilter(label=_("record type"))
    target_code = django_filters.CharFilter(label=_("record code"), method="filter_code")
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.none(), label=_("school"), empty_label=_("All schools"))
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices,
                                          label=_("outcome"), empty_label=_("All outcomes"))
    date_from = django_filters.DateFilter(
        label=_("from"), method="filter_from",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    date_to = django_filters.DateFilter(
        label=_("to"), method="filter_to",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields = ["user", "action", "target_type", "target_code", "school", "outcome",
                  "date_from", "date_to"]

    def __init__(self, data=None, queryset=None, *, schools=None, **kwargs):
        """`schools`: the schools offered in the filter (default: all; checked
        with one query only when one is chosen)."""
        super().__init__(data, queryset, **kwargs)
        self.filters["school"].queryset = (School.objects.order_by("code")
                                           if schools is None else schools)
        for name, field in self.form.fields.items():
            css = "form-select" if name in ("action", "school", "outcome") else "form-control"
            field.widget.attrs["class"] = css

    def filter_code(self, queryset, name, value):
        # A record code, or a free-form reference that ends with it ("report:<uuid>").
        value = value.strip()
        return queryset.filter(Q(target_code=value) | Q(target__endswith=f":{value}"))

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=clock.start_of_day(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=clock.end_of_day(value))
