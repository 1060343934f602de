"""The test domain's part of a school's timeline: its hazards' transitions,
for those who may view hazards at the school."""

from core.timelines import Entry, TimelineSource
from schools import access
from schools.models import School

from .access_rules import HazardPerm
from .models import HazardTransition


def _entries(subject_code, user, limit):
    school = School.objects.filter(pk=int(subject_code)).first()
    if school is None or not access.can(user, HazardPerm.VIEW_HAZARD, school):
        return []
    return [Entry(at=t.at, title=f"hazard {t.action}", actor=str(t.actor or ""),
                  source="plugin_app")
            for t in HazardTransition.objects.filter(hazard__school=school)
            .select_related("actor").order_by("-at")[:limit]]


TIMELINE = [TimelineSource("plugin_app.hazards", "schools.school", _entries)]
