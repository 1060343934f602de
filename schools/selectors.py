"""Reads that compose querysets for pages, each a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Membership, Role, School, SchoolType, TaskForceMember, User


def school_list_for(user) -> QuerySet[School]:
    active_principals = Prefetch(
        "memberships",
        queryset=Membership.objects.active().filter(role="principal").select_related("user"),
    )
    return (
        School.objects.visible_to(user)
        .select_related("bureau")
        .prefetch_related(active_principals)
        .order_by("code")
    )


def school_detail(school: School) -> dict:
    task_force = TaskForceMember.objects.filter(school=school).select_related("user")
    members = (
        Membership.objects.active()
        .filter(school=school)
        .select_related("user")
        .prefetch_related("classes")
        .order_by("user__full_name")
    )
    rank = {role: index for index, role in enumerate(Role)}
    classes = school.classes.all()
    return {
        "task_force": list(task_force),
        "members": sorted(members, key=lambda m: rank[m.role]),  # principal first
        "classes": list(classes),
    }


def task_force_candidates(school: School) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True, memberships__school=school, memberships__is_active=True
        )
        .exclude(task_forces__school=school)
        .distinct()
        .order_by("full_name", "username")
    )


def task_force_leader(school: School) -> TaskForceMember | None:
    """The member who leads `school`'s task force (组长), with their user; None
    when nobody does."""
    return (TaskForceMember.objects.filter(school=school, is_leader=True)
            .select_related("user").first())


def district_overview(user) -> dict:
    """Counts for the bureau home: schools by type, open and in the campaign.
    One query whatever the number of schools."""
    schools = School.objects.visible_to(user)
    by_type = {
        row["school_type"]: row
        for row in schools.values("school_type").annotate(
            total=Count("id"),
            expected=Count("id", filter=Q(is_open=True, in_campaign=True)),
        )
    }
    rows = [
        {
            "label": label,
            "total": by_type.get(value, {}).get("total", 0),
            "expected": by_type.get(value, {}).get("expected", 0),
        }
        for value, label in SchoolType.choices
    ]
    return {
        "rows": rows,
        "total": sum(r["total"] for r in rows),
        "expected": sum(r["expected"] for r in rows),
    }
