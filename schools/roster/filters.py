"""The roster's filters (学生名册), as a django-filter FilterSet after the
house pattern (reporting/filters.py): the view scopes first
(schools.roster.listing.roster_pupils), the FilterSet narrows. A value that
does not validate is ignored, not an error.

- ``q``: a name (contains) or a 学籍号 (exact), see listing.search;
- ``school_class``: this school year's classes the user sees pupils of;
- ``status``: 学籍状态, 在读 when not given, "all" for every status;
- ``group``: a current priority group (控辍保学). It reveals circumstances, so
  the field exists only when the view says so (the user
  holds schools.view_circumstances at the school and has a recent second
  factor: ``group_scope`` given); otherwise a ``group`` parameter is ignored.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ..models import Pupil, SchoolClass
from ..pupil_models import PriorityGroup, PupilStatus
from . import listing

ALL_STATUSES = "all"
DEFAULT_STATUS = PupilStatus.ENROLLED.value


class RosterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or student number"),
                                  max_length=50)
    school_class = django_filters.ModelChoiceFilter(
        field_name="current_class", queryset=SchoolClass.objects.none(), label=_("Class"),
        empty_label=_("All classes"))
    status = django_filters.ChoiceFilter(
        method="by_status", label=_("Status"), empty_label=None,
        choices=[*PupilStatus.choices, (ALL_STATUSES, _("All statuses"))])
    group = django_filters.ChoiceFilter(
        method="by_group", label=_("Priority group"), choices=PriorityGroup.choices,
        empty_label=_("All pupils"))

    class Meta:
        model = Pupil
        fields = ["q", "school_class", "status", "group"]

    def __init__(self, data=None, queryset: QuerySet[Pupil] | None = None, *,
                 classes: QuerySet[SchoolClass], group_scope: Q | None, **kwargs):
        """`classes`: those the class filter offers (listing.roster_classes),
        queried only to render the choices and to check a chosen one.
        `group_scope`: None to leave the priority-group filter out (not offered,
        a ``group`` parameter ignored); else the filter on Pupil of the pupils
        whose circumstances the user may see
        (schools.access.pupils_visible_q(user, VIEW_CIRCUMSTANCES)), which a
        chosen group is applied within."""
        data = data.copy() if data is not None else None
        if data is not None and not data.get("status"):
            data["status"] = DEFAULT_STATUS
        super().__init__(data, queryset, **kwargs)
        self.group_scope = group_scope
        if group_scope is None:
            del self.filters["group"]  # before the form is built from the filters
        self.filters["school_class"].queryset = classes
        self.form.fields["school_class"].queryset = classes
        self.form.fields["school_class"].label_from_instance = lambda c: c.short_name
        for name, form_field in self.form.fields.items():
            form_field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            # A status that did not validate: the default, as if none were given.
            queryset = queryset.filter(status=DEFAULT_STATUS)
        return queryset

    def search(self, queryset, name, value):
        return listing.search(queryset, value)

    def by_status(self, queryset, name, value):
        if value == ALL_STATUSES:
            return queryset
        return queryset.filter(status=value)

    def by_group(self, queryset, name, value):
        if not value:
            return queryset
        return listing.with_current_circumstance(queryset.filter(self.group_scope), value)

    def used(self) -> dict[str, str]:
        """The filters applied, {name: value as text}, for an export's audit
        row and file: only valid, non-empty values."""
        data = getattr(self.form, "cleaned_data", {})
        return {k: str(getattr(v, "pk", v)) for k, v in data.items() if v not in (None, "")}
