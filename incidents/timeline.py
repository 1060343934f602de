"""incidents' part of a pupil's timeline (subject "schools.pupil"): a concern
logged about the pupil — for the school's named people only (the leads, the
principal; nobody else at the school learns that one exists) — and the
bullying cases the pupil is involved in: the whole case for the leads and the
principal, the state for the head teacher of the pupil's class
(incidents.view_bullying_status). The entries name the record's kind and
state, never what was seen or found."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils.translation import gettext as _

from core.timelines import Entry, TimelineSource
from schools import access
from schools.models import Pupil

from .access_rules import IncidentsPerm
from .models import BullyingParty, Concern


def _pupil(subject_code: str) -> Pupil | None:
    try:
        code = uuid.UUID(str(subject_code))
    except ValueError:
        return None
    return Pupil.objects.filter(code=code).select_related("school").first()


def _entries(subject_code: str, user, limit: int) -> list[Entry]:
    """Up to `limit` concerns and `limit` bullying cases about the pupil,
    newest first; three queries at most."""
    pupil = _pupil(subject_code)
    if pupil is None:
        return []
    entries: list[Entry] = []
    if access.can(user, IncidentsPerm.VIEW_REFERRAL, pupil.school):
        for concern in (Concern.objects.filter(pupil=pupil).select_related("referral")
                        .order_by("-logged_at", "-id")[:limit]):
            referral = getattr(concern, "referral", None)
            entries.append(Entry(
                at=concern.logged_at,
                title=_("Mandatory reporting: %(state)s") % {
                    "state": referral.get_state_display() if referral
                    else _("concern logged, no referral yet")},
                link=reverse("incidents:referral_detail", args=[referral.code]) if referral
                else reverse("incidents:concern_detail", args=[concern.code]),
                source="incidents.concern"))
    whole = access.can(user, IncidentsPerm.VIEW_BULLYING, pupil.school)
    if whole or access.can_for_pupil(user, IncidentsPerm.VIEW_BULLYING_STATUS, pupil):
        for party in (BullyingParty.objects.filter(pupil=pupil).select_related("case")
                      .order_by("-case__reported_at", "-id")[:limit]):
            case = party.case
            entries.append(Entry(
                at=case.reported_at,
                title=_("Bullying case (%(role)s): %(state)s") % {
                    "role": party.get_role_display(), "state": case.get_state_display()},
                link=reverse("incidents:bullying_detail" if whole else
                             "incidents:bullying_status", args=[case.code]),
                source="incidents.bullying"))
    return entries


TIMELINE = [TimelineSource("incidents.pupil", "schools.pupil", _entries)]
