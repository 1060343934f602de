"""The auditor's filters (reporting/filters.py explains the pattern): by person,
action, record type and code, school, outcome and date range, and whether the
auditors' own reads of the log are shown.

- 人员 (`user`): part of a username or of a full name, any case.
- 操作类别 (`action_group`): a kind of action (ACTION_GROUPS), e.g. every
  account change (role.*, password.*, device.*) at once.
- 记录类型 (`target_type`): one of the record types the vocabulary knows
  (audit.actions.record_types) or the log holds, shown by the model's verbose
  name (actions.record_type_label).
- Dates are calendar days in the bureau's zone: "from" includes the whole first
  day, "to" the whole last day (core.clock.start_of_day / end_of_day); a range
  that ends before it starts is an error.
- The log's own reads ("audit.view") are left out unless `include_own_reads` is
  ticked or that very action is chosen: every page view writes one, and they
  would fill the first page. They are still written (security.md G4).

An invalid value (a date that is not one, an unknown school or action, a
reversed range) makes the form invalid; the page then shows no rows, never the
unfiltered log (audit.views).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from schools.models import School

from . import actions
from .models import AuditEvent


def record_types_in_log() -> list[str]:
    """The distinct non-empty `target_type`s of the log, sorted, in ONE query
    that costs one index probe per type (a loose index scan on the
    (target_type, target_code) index, as a recursive CTE that PostgreSQL and
    SQLite both run), however many rows the log holds."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    column = connection.ops.quote_name("target_type")
    sql = (
        f"WITH RECURSIVE t(v) AS ("  # noqa: S608 (quoted identifiers; the value is a parameter)
        f" SELECT MIN({column}) FROM {table} WHERE {column} > %s"
        f" UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > t.v)"
        f" FROM t WHERE t.v IS NOT NULL"
        f") SELECT v FROM t WHERE v IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [""])
        return [row[0] for row in cursor.fetchall()]


def record_type_choices() -> list[tuple[str, str]]:
    """(label, verbose name) of every record type in the vocabulary or the log,
    ordered by what is shown. One query (record_types_in_log)."""
    labels = set(actions.record_types()) | set(record_types_in_log())
    return sorted(((label, actions.record_type_label(label)) for label in labels),
                  key=lambda choice: (choice[1], choice[0]))


# Kinds of action the auditor can pick at once: code prefixes. "Account
# changes" are the separation-of-duties trail (issue 9 item 7): roles given and
# taken, passwords changed or reset, second-factor devices enrolled, reset or
# refused.
ACTION_GROUPS = {
    "accounts": (_("Account changes (roles, passwords, second factor)"),
                 ("role.", "password.", "device.")),
}


def action_group_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _prefixes) in ACTION_GROUPS.items()]


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class AuditEventFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(label=_("Person (username or name)"),
                                     method="filter_person")
    action = django_filters.ChoiceFilter(choices=actions.choices, label=_("action"),
                                         empty_label=_("All actions"))
    action_group = django_filters.ChoiceFilter(
        choices=action_group_choices, label=_("kind of action"), method="filter_action_group",
        empty_label=_("All kinds"))
    target_type = django_filters.ChoiceFilter(choices=[], label=_("record type"),
                                              empty_label=_("All record types"))
    target_code = django_filters.CharFilter(label=_("record code"), method="filter_code")
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.none(), label=_("school"), empty_label=_("All schools"))
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices,
                                          label=_("outcome"), empty_label=_("All outcomes"))
    date_from = django_filters.DateFilter(
        label=_("From date"), method="filter_from",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    date_to = django_filters.DateFilter(
        label=_("To date"), method="filter_to",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    include_own_reads = django_filters.BooleanFilter(
        label=_("Include audit log reads"), method="filter_own_reads",
        widget=forms.CheckboxInput)

    class Meta:
        model = AuditEvent
        form = AuditFilterForm
        fields = ["user", "action", "action_group", "target_type", "target_code", "school",
                  "outcome", "date_from", "date_to", "include_own_reads"]

    def __init__(self, data=None, queryset=None, *, schools=None, **kwargs):
        """`schools`: the schools offered in the filter (default: all; checked
        with one query only when one is chosen). The record types offered cost
        one query (record_type_choices)."""
        super().__init__(data, queryset, **kwargs)
        self.filters["school"].queryset = (School.objects.order_by("code")
                                           if schools is None else schools)
        self.filters["target_type"].extra["choices"] = record_type_choices()
        for name, field in self.form.fields.items():
            if name == "include_own_reads":
                css = "form-check-input"
            elif name in ("action", "action_group", "target_type", "school", "outcome"):
                css = "form-select"
            else:
                css = "form-control"
            if name in self.form.errors:
                css += " is-invalid"
            field.widget.attrs["class"] = css

    def filter_person(self, queryset, name, value):
        # Part of the username the row kept, or of the person's full name.
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(user__full_name__icontains=value))

    def filter_action_group(self, queryset, name, value):
        # Any action whose code starts with one of the group's prefixes.
        condition = Q()
        for prefix in ACTION_GROUPS[value][1]:
            condition |= Q(action__startswith=prefix)
        return queryset.filter(condition)

    def filter_code(self, queryset, name, value):
        # A record code, or a free-form reference that ends with it ("report:<uuid>").
        value = value.strip()
        return queryset.filter(Q(target_code=value) | Q(target__endswith=f":{value}"))

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=clock.start_of_day(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=clock.end_of_day(value))

    def filter_own_reads(self, queryset, name, value):
        if value or self.form.cleaned_data.get("action") == actions.AUDIT_VIEW.code:
            return queryset
        return queryset.exclude(action=actions.AUDIT_VIEW.code)
