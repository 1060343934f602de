"""Reporting's part of a school's timeline: each status change of its reports
(提交, 退回, 再次提交, 通过, 撤回), for people who may open the school's reports."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from core.timelines import Entry, TimelineSource
from schools import access
from schools.models import School

from .access_rules import ReportingPerm
from .models import ReportTransition


def _school_entries(subject_code: str, user, limit: int) -> list[Entry]:
    school = School.objects.filter(pk=int(subject_code)).first()
    if school is None or not access.can(user, ReportingPerm.VIEW_REPORT, school):
        return []
    rows = (ReportTransition.objects.filter(report__school=school)
            .select_related("report__deadline", "actor").order_by("-at", "-id")[:limit])
    return [
        Entry(at=t.at,
              title=_("%(action)s: %(report)s") % {
                  "action": t.label, "report": t.report.deadline},
              actor=str(t.actor) if t.actor else "",
              link=reverse("reporting:report_detail", args=[t.report.code]),
              source="reporting")
        for t in rows
    ]


TIMELINE = [TimelineSource("reporting.report_status", "schools.school", _school_entries)]
