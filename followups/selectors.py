"""Reads of follow-ups for pages: 我的待办 (a person's open follow-ups from
every app, overdue first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from core import clock
from schools import access

from . import kinds as registry
from .models import FollowUp

HORIZON = dt.timedelta(days=14)


@dataclass
class Todo:
    """One line of 我的待办: what, where it is done, and how late or near."""

    followup: FollowUp
    title: str
    link: str
    is_overdue: bool
    days: int  # whole days overdue (is_overdue) or left, counted in Asia/Shanghai dates


def todos_for(user, *, at: dt.datetime | None = None, limit: int = 20) -> list[Todo]:
    """The open follow-ups `user` must act on, overdue first then by due time:
    those assigned to them, and those of a kind whose roles they hold at the
    follow-up's school. Only what is overdue or due within HORIZON (14 days),
    at most `limit`. Two queries (the user's roles, the follow-ups)."""
    at = at or clock.now()
    roles_by_school = access.school_roles_of(user)
    q = Q(assignee=user)
    for kind in registry.all_kinds():
        schools = [s for s, roles in roles_by_school.items() if set(kind.roles) & roles]
        if schools:
            q |= Q(kind=kind.name, school_id__in=schools, assignee__isnull=True)
    rows = (FollowUp.objects.open().filter(q, due_at__lte=at + HORIZON)
            .select_related("school").order_by("due_at", "id")[:limit])
    todos = []
    for row in rows:
        try:
            kind = registry.get(row.kind)
        except LookupError:
            continue
        overdue = row.due_at <= at
        # due_at is an instant; people count in dates ("已逾期 2 天").
        due_day = clock.today(row.due_at - dt.timedelta(microseconds=1))
        days = abs((clock.today(at) - due_day).days)
        todos.append(Todo(followup=row, title=kind.title(row), link=kind.link(row),
                          is_overdue=overdue, days=days))
    return todos
