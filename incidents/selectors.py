"""Reads of incidents for its pages (issue 10 items 1 and 6). Each returns a
fixed number of queries whatever the number of rows; none checks access —
the views ask schools.access first and pass what it allowed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from schools.models import School, SchoolClass
from schools.school_year import current_school_year

from .models import Concern, LoggedConcern, Referral, ReferralState


def concern_classes(school: School) -> QuerySet[SchoolClass]:
    """The classes of `school` this school year, in grade and number order: the
    choices of the concern form (a class name is not a child's data)."""
    return SchoolClass.objects.filter(school=school, school_year=current_school_year()) \
        .order_by("grade", "number")


def concerns_logged_by(user) -> QuerySet[LoggedConcern]:
    """The concerns `user` logged, newest first, with their school and
    referral (one query): what 我登记的情况 lists."""
    return LoggedConcern.objects.filter(logged_by=user) \
        .select_related("school", "referral").order_by("-logged_at", "-id")


@dataclass(frozen=True)
class ConcernRow:
    """One line of a school's list for its leads: the concern and its
    referral (or None)."""

    concern: Concern
    referral: Referral | None


def school_concerns(school: School, *, closed: bool) -> QuerySet[Concern]:
    """The concerns of `school` for its leads, newest first, with the pupil,
    class, logger and referral joined: the open ones (no referral yet, or a
    referral not CLOSED) or, with `closed`, those whose referral is closed."""
    queryset = Concern.objects.filter(school=school).select_related(
        "pupil__current_class", "logged_by", "referral").order_by("-logged_at", "-id")
    if closed:
        return queryset.filter(referral__state=ReferralState.CLOSED)
    return queryset.exclude(referral__state=ReferralState.CLOSED)


def concern_rows(concerns) -> list[ConcernRow]:
    """`concerns` (a page of school_concerns) as ConcernRows, no query more."""
    return [ConcernRow(concern=concern,
                       referral=_referral_of(concern))
            for concern in concerns]


def concern_state(concern: Concern) -> str:
    """What the logger is told of a concern's state: "passed to the leads"
    until a referral is opened, then the referral's state (its label). No
    more: not who handles it, not what was reported (issue 10 item 6)."""
    referral = _referral_of(concern)
    if referral is not None:
        return referral.get_state_display()
    return str(_("Passed to the school's leads"))


def _referral_of(concern: Concern) -> Referral | None:
    # The reverse one-to-one raises RelatedObjectDoesNotExist, an
    # AttributeError, when there is none; select_related already read it.
    return getattr(concern, "referral", None)


def bureau_referrals(bureau_ids: list[int], *, closed: bool) -> QuerySet[Referral]:
    """The referrals of the schools of `bureau_ids` for the bureau's
    child-protection officer: open ones (not CLOSED) oldest detection first —
    the longest waiting on top — or, with `closed`, closed ones newest first;
    with the school, the concern and its pupil and class joined (one query a
    page)."""
    queryset = Referral.objects.filter(school__bureau_id__in=bureau_ids).select_related(
        "school", "concern__pupil__current_class")
    if closed:
        return queryset.filter(state=ReferralState.CLOSED).order_by("-detected_at", "-id")
    return queryset.exclude(state=ReferralState.CLOSED).order_by("detected_at", "id")
