"""The filters of reporting's list pages, as django-filter FilterSets: the pattern
every list (cases, registers, the audit log) copies.

How a new list copies it:

1. Declare a FilterSet over the list's model. Its fields are the GET parameters
   (names unchanged, so bookmarked URLs keep working); choices come from the
   models' TextChoices; `empty_label` is what "no filter" says.
2. Choices that depend on the user (their bureau's deadlines) are set in
   ``__init__`` from a keyword argument, never from a query the FilterSet runs
   by itself on every page (a fixed number of queries).
3. The view scopes first, filters second: ``ReviewQueueFilter(request.GET,
   queryset=selectors.review_candidates(request.user), deadlines=…)``, then
   paginates ``filterset.qs``. Scoping is the access layer's job; a filter can
   only narrow what the user may already see. A value that does not validate
   (``?deadline=abc``) is ignored, not an error.
4. The template renders ``filterset.form``; ``_pagination.html`` gets the other
   GET parameters as ``query`` so the next page keeps the filters.
5. A test asserts the page's query count at two list sizes
   (``django_assert_num_queries``).

The dashboard's filters choose what the page shows (a campaign, a deadline) as
much as they narrow a list, so DashboardFilter validates them and hands them to
reporting.dashboard, which applies school type and state to its counts and its
matrix (it keeps the counts at a fixed number of queries).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolType

from .dashboard import STATE_LABELS
from .models import REVIEWABLE_STATUSES, Deadline, ProgressReport, ReportStatus


class ReviewQueueFilter(django_filters.FilterSet):
    """审核 queue: by deadline, school type and status. No status means the
    reports awaiting review (submitted or resubmitted)."""

    deadline = django_filters.ModelChoiceFilter(
        queryset=Deadline.objects.none(), label=_("deadline"), empty_label=_("All deadlines"))
    school_type = django_filters.ChoiceFilter(
        field_name="school__school_type", choices=SchoolType.choices, label=_("School type"),
        empty_label=_("All types"))
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in ReportStatus if s != ReportStatus.DRAFT],
        label=_("status"), empty_label=_("Awaiting review"))
    q = django_filters.CharFilter(method="search", label=_("School name or code"),
                                  max_length=100)

    class Meta:
        model = ProgressReport
        fields = ["deadline", "school_type", "status", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(school__name__icontains=value) | Q(school__code__iexact=value))

    def __init__(self, data=None, queryset: QuerySet[ProgressReport] | None = None, *,
                 deadlines: QuerySet[Deadline], **kwargs):
        """`deadlines`: those the user may pick (their bureau's), as a queryset;
        it is queried only to render the choices and to check a chosen one."""
        super().__init__(data, queryset, **kwargs)
        self.filters["deadline"].queryset = deadlines
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"
        # One date format on the page: the choices read like the table's dates.
        self.form.fields["deadline"].label_from_instance = lambda deadline: (
            f"{date_format(deadline.due_date, 'DATE_FORMAT')} {deadline.get_kind_display()}")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=REVIEWABLE_STATUSES)
        return queryset


class DashboardFilter(django_filters.FilterSet):
    """督导看板's choices: campaign and deadline (ids among those given), school
    type and state. Validation only, no query: `values()` is what
    reporting.dashboard.dashboard takes."""

    campaign = django_filters.TypedChoiceFilter(coerce=int, label=_("campaign"),
                                                method="chosen")
    deadline = django_filters.NumberFilter(label=_("deadline"), method="chosen")
    school_type = django_filters.ChoiceFilter(choices=SchoolType.choices,
                                              label=_("School type"), empty_label=_("All types"),
                                              method="chosen")
    state = django_filters.ChoiceFilter(choices=STATE_LABELS, label=_("status"),
                                        empty_label=_("All"), method="chosen")

    def __init__(self, data=None, *, campaign_ids: list[int], **kwargs):
        """`campaign_ids`: the campaigns the user may pick, already fetched."""
        super().__init__(data, queryset=Deadline.objects.none(), **kwargs)
        self.form.fields["campaign"].choices = [(pk, pk) for pk in campaign_ids]

    def chosen(self, queryset, name, value):
        # These filters choose what the page shows; reporting.dashboard applies them.
        return queryset

    def values(self) -> dict:
        """{"campaign": int | None, "deadline": int | None, "school_type": str,
        "state": str}: each valid value, else None or "" (ignored, not an error)."""
        self.form.is_valid()
        data = getattr(self.form, "cleaned_data", {})
        deadline = data.get("deadline")
        return {"campaign": data.get("campaign") or None,
                "deadline": int(deadline) if deadline is not None else None,
                "school_type": data.get("school_type") or "",
                "state": data.get("state") or ""}
