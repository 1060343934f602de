"""The authorization matrix: every URL pattern × every principal × own/other school.

The resolver is walked, admin included; a URL pattern without a row here fails
`test_every_url_pattern_has_a_row`. Expectations are written out independently
of schools.access (not derived from its tables), so a loosened rule shows here.

A last principal holds different roles at two schools (head teacher at A,
principal at B): each school must judge her by her role there alone.

Outcomes: "200", "400", "403", "404", "405"; "login" is a redirect to the
portal's sign-in, "admin_login" to the admin's sign-in, "redirect" any other
redirect (a success, or the admin's "no such object" bounce).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from notifications.models import GroupRobot
from reporting.models import Bulletin, ExportJob, ReportPhoto, ReportStatus
from schools.models import (
    CalendarDay,
    Membership,
    Role,
    RosterUpload,
    SchoolTerm,
    TaskForceMember,
)
from tests.conftest import sign_in
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import MembershipFactory, SchoolClassFactory, UserFactory

ANON, DEACTIVATED = "anonymous", "deactivated"
PRINCIPAL, SAFETY, HEAD, COUNSELOR, STAFF = (
    "principal", "safety_officer", "head_teacher", "counselor", "staff")
BADMIN, INSPECTOR, AUDITOR = "bureau_admin", "inspector", "auditor"
SCHOOL_STAFF = (PRINCIPAL, SAFETY, HEAD, COUNSELOR, STAFF)
PRINCIPALS = (ANON, *SCHOOL_STAFF, BADMIN, INSPECTOR, AUDITOR, DEACTIVATED)
SIGNED_OUT = (ANON, DEACTIVATED)

# Sides of an object URL: the principal's own school (A), a peer school in the
# same district (B), a school of another district (C).
OWN, PEER, FOREIGN = "own", "peer", "foreign"


def everyone(outcome: str, **overrides: str) -> dict[str, str]:
    table = dict.fromkeys(PRINCIPALS, outcome)
    table.update(overrides)
    return table


def signed_in(outcome: str, **overrides: str) -> dict[str, str]:
    return everyone(outcome, **dict.fromkeys(SIGNED_OUT, "login"), **overrides)


@dataclass
class Row:
    get: dict[str, str] | dict[str, dict[str, str]]
    post: dict[str, str] | dict[str, dict[str, str]] | None = None  # None: same as GET
    kwargs: Callable | None = None  # (world, side) -> reverse() kwargs
    sides: tuple[str, ...] = (OWN,)
    last: bool = False  # POSTs that remove the sample object or sign out run last
    # A child-level page behind require_recent_second_factor: every signed-in
    # principal is asked with a session verified just now (tests.conftest.sign_in
    # verified=True), so the row shows what the page's permission decides.
    step_up: bool = False


def by_side(**tables: dict[str, str]) -> dict[str, dict[str, str]]:
    return tables


def held_by(table: dict[str, dict[str, str]], *holders: str) -> dict[str, dict[str, str]]:
    """A page behind require_recent_second_factor(perm=…): a signed-in
    principal who holds the permission nowhere (not one of `holders`) is
    refused with 403 on every side, before the record is looked up and
    before any code is asked for; the holders get what `table` says."""
    out = {}
    for side, per in table.items():
        per = dict(per)
        for who in [*PRINCIPALS, "head_other"]:
            if who not in SIGNED_OUT and who not in holders:
                per[who] = "403"
        out[side] = per
    return out


def school_of(world, side):
    return {OWN: world.school_a, PEER: world.school_b, FOREIGN: world.school_c}[side]


def school_pk(world, side):
    return {"pk": school_of(world, side).pk}


def task_force_member(world, side):
    school = school_of(world, side)
    member = TaskForceMember.objects.filter(school=school).exclude(
        user__username__startswith="sample-").first()
    return {"pk": school.pk, "member_id": member.pk}


def roster_upload(world, side):
    school = school_of(world, side)
    return {"pk": school.pk, "code": world.matrix_uploads[side].code}


# ------------------------------------------------------------------ portal rows
school_detail = by_side(
    own=signed_in("200", auditor="404"),
    peer=signed_in("404", bureau_admin="200", inspector="200"),
    foreign=signed_in("404"),
)
task_force_add_get = by_side(
    own=signed_in("403", principal="200", bureau_admin="200", auditor="404"),
    peer=signed_in("404", bureau_admin="200", inspector="403"),
    foreign=signed_in("404"),
)
task_force_add_post = by_side(  # an empty form: 400 with the errors, nothing saved
    own=signed_in("403", principal="400", bureau_admin="400", auditor="404"),
    peer=signed_in("404", bureau_admin="400", inspector="403"),
    foreign=signed_in("404"),
)
# The roster import (schools.manage_roster: the school's principal and safety
# officer; no bureau role; the auditor sees no school).
ROSTER_MANAGERS = {PRINCIPAL: "200", SAFETY: "200"}
roster_page = by_side(
    own=signed_in("403", **ROSTER_MANAGERS, auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
roster_upload_post = by_side(  # an empty form: 400 with the errors, nothing kept
    own=signed_in("403", principal="400", safety_officer="400", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
roster_confirm_post = by_side(  # no fingerprint: 400, nothing written
    own=signed_in("403", principal="400", safety_officer="400", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
roster_result_get = by_side(  # a pending upload: back to its preview
    own=signed_in("403", principal="redirect", safety_officer="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
NO_POST = by_side(**dict.fromkeys((OWN, PEER, FOREIGN), everyone("405")))
task_force_remove_post = by_side(
    own=signed_in("403", principal="redirect", bureau_admin="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="redirect", inspector="403"),
    foreign=signed_in("404"),
)

# 学生名册: the school's named people (a head teacher: their own classes' pupils);
# staff and the bureau see the school but no pupil (403), the auditor sees no
# school (404). The export is the roster manager's (principal, safety officer),
# who is first sent for a second factor (school staff have no device in the
# matrix: the enrol page); everyone else is refused before being asked.
roster_get = by_side(
    own=signed_in("403", principal="200", safety_officer="200", head_teacher="200",
                  counselor="200", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
roster_export_get = by_side(
    own=signed_in("403", principal="redirect", safety_officer="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
GET_ONLY = by_side(own=everyone("405"), peer=everyone("405"), foreign=everyone("405"))


def school_deadline(world, side):
    school = school_of(world, side)
    return {"pk": school.pk, "deadline_id": world.matrix_deadlines[side].pk}


def report_code(world, side):
    return {"code": world.matrix_reports[side].code}


READERS = dict.fromkeys((PRINCIPAL, SAFETY, HEAD, COUNSELOR), "200")
school_reports = by_side(
    own=signed_in("403", **READERS, bureau_admin="200", inspector="200", auditor="404"),
    peer=signed_in("404", bureau_admin="200", inspector="200"),
    foreign=signed_in("404"),
)
report_edit_get = by_side(
    own=signed_in("403", principal="200", safety_officer="200", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
report_edit_post = by_side(  # "save" of an empty form: a draft, then back to the form
    own=signed_in("403", principal="redirect", safety_officer="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
report_view = by_side(
    own=signed_in("403", **READERS, bureau_admin="200", inspector="200", auditor="404"),
    peer=signed_in("404", bureau_admin="200", inspector="200"),
    foreign=signed_in("404"),
)
report_review_post = by_side(
    own=signed_in("403", bureau_admin="redirect", inspector="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="redirect", inspector="redirect"),
    foreign=signed_in("404"),
)
report_return_post = by_side(  # no reason given: back to the report, the form with the error
    own=signed_in("403", bureau_admin="redirect", inspector="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="redirect", inspector="redirect"),
    foreign=signed_in("404"),
)
# The matrix report is submitted and not yet reviewed: its writers withdraw it
# (and are sent to its form), or are told why not once it has been approved.
report_withdraw_post = by_side(
    own=signed_in("403", principal="redirect", safety_officer="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)

def photo_code(world, side):
    return {"code": world.matrix_photos[side].code}


photo_add_post = by_side(  # no file chosen: the form comes back with the error
    own=signed_in("403", principal="400", safety_officer="400", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
report_autosave_post = by_side(  # no version sent: refused as out of date (JSON 400)
    own=signed_in("403", principal="400", safety_officer="400", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
# The matrix report is submitted, so removing a photo bounces to the read-only page.
photo_remove_post = by_side(
    own=signed_in("403", principal="redirect", safety_officer="redirect", auditor="404",
                  head_teacher="403", counselor="403"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)

def deadline_pk(world, side):
    return {"deadline_id": world.matrix_deadlines[side].pk}


# The auditor belongs to the bureau but does not review: 403. School staff do not
# see the bureau's campaigns at all: 404.
bulletin_get = by_side(
    own=signed_in("404", bureau_admin="200", inspector="200", auditor="403"),
    foreign=signed_in("404"),
)
bulletin_post = by_side(  # an empty form: the errors come back
    own=signed_in("404", bureau_admin="400", inspector="400", auditor="403"),
    foreign=signed_in("404"),
)

# A school's group robots: its principal alone; the bureau sees the school but
# may not set up its robots (403), other schools' staff do not see it (404).
group_robots_get = by_side(
    own=signed_in("403", principal="200", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
group_robots_post = by_side(  # an empty form: 400 with the errors, nothing saved
    own=signed_in("403", principal="400", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)
group_robot_test_post = by_side(
    own=signed_in("403", principal="redirect", auditor="404"),
    peer=signed_in("404", bureau_admin="403", inspector="403"),
    foreign=signed_in("404"),
)


def school_robot(world, side):
    school = school_of(world, side)
    return {"pk": school.pk, "robot_id": world.matrix_robots[side].pk}


PORTAL_ROWS: dict[str, Row] = {
    "home": Row(get=signed_in("200")),
    "healthz": Row(get=everyone("200"), post=everyone("405")),
    "login": Row(
        get=everyone("redirect", anonymous="200", deactivated="200"),
        post=everyone("redirect", anonymous="200", deactivated="200"),
    ),
    "logout": Row(get=everyone("405"), post=everyone("login"), last=True),
    "password_change": Row(get=signed_in("200")),
    "password_change_done": Row(get=signed_in("200"), post=signed_in("405")),
    # Bureau accounts are signed in with their code (a device); school staff
    # have none yet, so the verify page sends them to enrol and back.
    "second_factor_verify": Row(
        get=signed_in("redirect", bureau_admin="200", inspector="200", auditor="200"),
        post=signed_in("redirect", bureau_admin="400", inspector="400", auditor="400")),
    "second_factor_enrol": Row(
        get=signed_in("200", bureau_admin="redirect", inspector="redirect",
                      auditor="redirect"),
        post=signed_in("400", bureau_admin="redirect", inspector="redirect",
                       auditor="redirect")),
    "second_factor_recovery_codes": Row(get=signed_in("200"), post=signed_in("405")),
    "set_language": Row(get=everyone("redirect")),
    "schools:list": Row(get=signed_in("200", auditor="403")),
    "schools:detail": Row(get=school_detail, kwargs=school_pk, sides=(OWN, PEER, FOREIGN)),
    # 重点群体统计 (issue 9 item 8): counts for the bureau admin and the
    # inspector only; the auditor and every school role are refused.
    "schools:pupil_counts": Row(get=signed_in("403", bureau_admin="200", inspector="200"),
                                post=everyone("405")),
    "schools:pupil_counts_xlsx": Row(get=signed_in("403", bureau_admin="200",
                                                   inspector="200"),
                                     post=everyone("405")),
    "schools:task_force_add": Row(
        get=task_force_add_get, post=task_force_add_post, kwargs=school_pk,
        sides=(OWN, PEER, FOREIGN),
    ),
    "schools:task_force_remove": Row(
        get=by_side(own=everyone("405"), peer=everyone("405"), foreign=everyone("405")),
        post=task_force_remove_post, kwargs=task_force_member, sides=(OWN, PEER, FOREIGN),
        last=True,
    ),
    "schools:roster_template": Row(get=roster_page, post=NO_POST, kwargs=school_pk,
                                   sides=(OWN, PEER, FOREIGN)),
    # Behind the step-up with schools.manage_roster: 403 at once for those
    # who manage no roster anywhere.
    "schools:roster_import": Row(get=held_by(roster_page, *ROSTER_MANAGERS),
                                 post=held_by(roster_upload_post, *ROSTER_MANAGERS),
                                 kwargs=school_pk, sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:roster_preview": Row(get=held_by(roster_page, *ROSTER_MANAGERS), post=NO_POST,
                                  kwargs=roster_upload, sides=(OWN, PEER, FOREIGN),
                                  step_up=True),
    "schools:roster_confirm": Row(get=NO_POST, post=held_by(roster_confirm_post,
                                                            *ROSTER_MANAGERS),
                                  kwargs=roster_upload, sides=(OWN, PEER, FOREIGN),
                                  step_up=True),
    "schools:roster_result": Row(get=held_by(roster_result_get, *ROSTER_MANAGERS),
                                 post=NO_POST, kwargs=roster_upload,
                                 sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:roster": Row(get=roster_get, post=GET_ONLY, kwargs=school_pk,
                          sides=(OWN, PEER, FOREIGN)),
    "schools:roster_export": Row(get=roster_export_get, post=GET_ONLY, kwargs=school_pk,
                                 sides=(OWN, PEER, FOREIGN)),
    # 我的班级: head teachers (an empty state when they lead no class this year).
    "schools:my_classes": Row(get=signed_in("403", head_teacher="200"), post=everyone("405")),
    "audit:event_list": Row(get=signed_in("403", auditor="200")),
    "audit:event_export": Row(get=signed_in("403", auditor="200"), post=everyone("405")),
    "reporting:school_reports": Row(get=school_reports, kwargs=school_pk,
                                    sides=(OWN, PEER, FOREIGN)),
    "reporting:report_edit": Row(get=report_edit_get, post=report_edit_post,
                                 kwargs=school_deadline, sides=(OWN, PEER, FOREIGN)),
    "reporting:report_detail": Row(get=report_view, kwargs=report_code,
                                   sides=(OWN, PEER, FOREIGN)),
    "reporting:report_approve": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                                everyone("405"))),
                                    post=report_review_post, kwargs=report_code,
                                    sides=(OWN, PEER, FOREIGN), last=True),
    "reporting:report_return": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                               everyone("405"))),
                                   post=report_return_post, kwargs=report_code,
                                   sides=(OWN, PEER, FOREIGN)),
    "reporting:report_withdraw": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                                 everyone("405"))),
                                     post=report_withdraw_post, kwargs=report_code,
                                     sides=(OWN, PEER, FOREIGN), last=True),
    "reporting:photo_add": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                           everyone("405"))),
                               post=photo_add_post, kwargs=school_deadline,
                               sides=(OWN, PEER, FOREIGN)),
    "reporting:report_autosave": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                                everyone("405"))),
                                     post=report_autosave_post, kwargs=school_deadline,
                                     sides=(OWN, PEER, FOREIGN)),
    "reporting:photo": Row(get=report_view, post=by_side(**dict.fromkeys(
        (OWN, PEER, FOREIGN), everyone("405"))), kwargs=photo_code, sides=(OWN, PEER, FOREIGN)),
    "reporting:photo_thumbnail": Row(get=report_view, post=by_side(**dict.fromkeys(
        (OWN, PEER, FOREIGN), everyone("405"))), kwargs=photo_code, sides=(OWN, PEER, FOREIGN)),
    "reporting:photo_download": Row(get=report_view, post=by_side(**dict.fromkeys(
        (OWN, PEER, FOREIGN), everyone("405"))), kwargs=photo_code, sides=(OWN, PEER, FOREIGN)),
    "reporting:photo_remove": Row(get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN),
                                                              everyone("405"))),
                                  post=photo_remove_post, kwargs=photo_code,
                                  sides=(OWN, PEER, FOREIGN), last=True),
    "notifications:list": Row(get=signed_in("200"), post=signed_in("200")),
    # The sample notice is the inspector's: anyone else's id is a 404.
    "notifications:open": Row(get=everyone("405"),
                              post=signed_in("404", inspector="redirect"),
                              kwargs=lambda w, side: {
                                  "pk": w.admin_sample("notifications.notice", OWN).pk}),
    "reporting:dashboard": Row(get=signed_in("403", bureau_admin="200", inspector="200")),
    "reporting:bulletin": Row(get=bulletin_get, post=bulletin_post, kwargs=deadline_pk,
                              sides=(OWN, FOREIGN)),
    "reporting:bulletin_xlsx": Row(get=bulletin_get, post=by_side(
        own=everyone("405"), foreign=everyone("405")), kwargs=deadline_pk,
        sides=(OWN, FOREIGN)),
    # The PDF: the same people as the page and the Excel (issue 8 item 4).
    "reporting:bulletin_pdf": Row(get=bulletin_get, post=by_side(
        own=everyone("405"), foreign=everyone("405")), kwargs=deadline_pk,
        sides=(OWN, FOREIGN)),
    # Empty form: bureau users are sent back to the dashboard with a message.
    "reporting:export_start": Row(get=everyone("405"),
                                  post=signed_in("403", bureau_admin="redirect",
                                                 inspector="redirect")),
    # The sample export is the inspector's: nobody else may see or fetch it.
    "reporting:export": Row(get=signed_in("404", inspector="200"), post=everyone("405"),
                            kwargs=lambda w, side: {"code": w.export_job.code}),
    "reporting:export_download": Row(get=signed_in("404", inspector="200"),
                                     post=everyone("405"),
                                     kwargs=lambda w, side: {"code": w.export_job.code}),
    "reporting:review_queue": Row(get=signed_in("403", bureau_admin="200", inspector="200")),
    "notifications:group_robots": Row(get=group_robots_get, post=group_robots_post,
                                      kwargs=school_pk, sides=(OWN, PEER, FOREIGN)),
    "notifications:group_robot_test": Row(
        get=by_side(**dict.fromkeys((OWN, PEER, FOREIGN), everyone("405"))),
        post=group_robot_test_post, kwargs=school_robot, sides=(OWN, PEER, FOREIGN)),
}

# ------------------------------------------------------------------ two schools
# A teacher who is head teacher at her own school A and principal of the peer
# school B (a secondment). Each school judges her by the role she holds there,
# never by the union of her roles: at A she may not manage the task force or
# write the report, at B she may. Written out by hand for every row with a peer
# side (not derived from the tables above nor from schools.access); rows
# without one treat her as any school staff member (see expected()).
TWO_SCHOOLS = "two_schools"
HEAD_OTHER = "head_other"  # see "a pupil's page" below


def sides(own: str, peer: str, foreign: str = "404") -> dict[str, str]:
    return {OWN: own, PEER: peer, FOREIGN: foreign}


NOT_ALLOWED = sides("405", "405", "405")
TWO_SCHOOL_ROWS: dict[str, tuple[dict[str, str], dict[str, str]]] = {  # (GET, POST)
    "schools:detail": (sides("200", "200"), sides("200", "200")),
    "schools:task_force_add": (sides("403", "200"), sides("403", "400")),
    "schools:task_force_remove": (NOT_ALLOWED, sides("403", "redirect")),
    "schools:roster": (sides("200", "200"), NOT_ALLOWED),
    "schools:roster_export": (sides("403", "redirect"), NOT_ALLOWED),
    "reporting:school_reports": (sides("200", "200"), sides("200", "200")),
    "reporting:report_edit": (sides("403", "200"), sides("403", "redirect")),
    "reporting:report_detail": (sides("200", "200"), sides("200", "200")),
    "reporting:report_approve": (NOT_ALLOWED, sides("403", "403")),
    "reporting:report_return": (NOT_ALLOWED, sides("403", "403")),
    "reporting:report_withdraw": (NOT_ALLOWED, sides("403", "redirect")),
    "reporting:photo_add": (NOT_ALLOWED, sides("403", "400")),
    "reporting:report_autosave": (NOT_ALLOWED, sides("403", "400")),
    "reporting:photo": (sides("200", "200"), NOT_ALLOWED),
    "reporting:photo_thumbnail": (sides("200", "200"), NOT_ALLOWED),
    "reporting:photo_download": (sides("200", "200"), NOT_ALLOWED),
    "reporting:photo_remove": (NOT_ALLOWED, sides("403", "redirect")),
    "notifications:group_robots": (sides("403", "200"), sides("403", "400")),
    "notifications:group_robot_test": (NOT_ALLOWED, sides("403", "redirect")),
    "schools:roster_template": (sides("403", "200"), NOT_ALLOWED),
    "schools:roster_import": (sides("403", "200"), sides("403", "400")),
    "schools:roster_preview": (sides("403", "200"), NOT_ALLOWED),
    "schools:roster_confirm": (NOT_ALLOWED, sides("403", "400")),
    "schools:roster_result": (sides("403", "redirect"), NOT_ALLOWED),
    # Head teacher at A of no class: A's registers are not hers; B's are all
    # the principal's.
    "attendance:register": (sides("404", "200"), sides("404", "400")),
    "attendance:contact": (sides("404", "200"), sides("404", "400")),
}

# Rows without a peer side where she is not "any school staff member": (GET, POST).
TWO_SCHOOL_PLAIN_ROWS: dict[str, tuple[str, str]] = {
    # A head teacher at A (leading no class): the page with its empty state.
    "schools:my_classes": ("200", "405"),
    # Principal at B: B's open bullying cases, as its counselor sees them.
    "incidents:bullying_support_list": ("200", "405"),
    "attendance:registers": ("200", "405"),
}

# ------------------------------------------------------------------ a pupil's page
# Issue 9 items 2, 5, 8. The sample pupil of each school (A own, B peer, C
# foreign) is in a class of this school year; at A that class is led by
# world.head_teacher. HEAD_OTHER is a head teacher at A who leads another
# class: the pupil is a 404 to her. These pages are behind the step-up, so
# their rows are run with a recent second factor (step_up=True); without one
# every signed-in person is sent to verify (tests/schools/test_pupil_page.py).
# Any row that does not name HEAD_OTHER expects for her what it expects for
# the head teacher (see expected()).
def matrix_pupil(world, side):
    return world.admin_sample("pupil_page.pupil", side)


def pupil_code(world, side):
    return {"code": matrix_pupil(world, side).code}


def pupil_guardian(world, side):
    pupil = matrix_pupil(world, side)
    return {"code": pupil.code, "pk": pupil.guardians.order_by("pk").first().pk}


def pupil_circumstance(world, side):
    return {"code": world.admin_sample("pupil_page.circumstance", side).code}


def build_pupil_page_samples(world, samples) -> None:
    """A pupil with a guardian and a circumstance at each school; A's in a
    class world.head_teacher leads, and the class HEAD_OTHER leads beside it."""
    from schools.pupil_models import Circumstance
    from schools.school_year import current_school_year
    from tests.schools.pupil_factories import GuardianFactory, PupilFactory

    year = current_school_year()
    for side, school in ((OWN, world.school_a), (PEER, world.school_b),
                         (FOREIGN, world.school_c)):
        cls = SchoolClassFactory(school=school, grade=4, number=1, school_year=year)
        pupil = PupilFactory(school=school, current_class=cls)
        GuardianFactory(pupil=pupil, is_primary=True)
        samples[("pupil_page.pupil", side)] = pupil
        samples[("pupil_page.circumstance", side)] = Circumstance.objects.create(
            pupil=pupil, group="left_behind", since=dt.date(2020, 1, 1))
        if side == OWN:
            Membership.objects.get(user=world.head_teacher, school=school).classes.add(cls)
            samples[("pupil_page.other_class", side)] = SchoolClassFactory(
                school=school, grade=4, number=2, school_year=year)


def head_other_user(world):
    """HEAD_OTHER: head teacher at A of the class beside the sample pupil's
    (made by build_pupil_page_samples, which runs first)."""
    from schools.models import SchoolClass
    from schools.school_year import current_school_year

    user = UserFactory(username="head-other")
    membership = MembershipFactory(user=user, role=Role.HEAD_TEACHER, school=world.school_a)
    membership.classes.add(SchoolClass.objects.get(
        school=world.school_a, grade=4, number=2, school_year=current_school_year()))
    return user


_PUPIL_NOBODY = dict(peer=signed_in("404"), foreign=signed_in("404"))
_NOT_ALLOWED_ANY = by_side(own=everyone("405"), peer=everyone("405"), foreign=everyone("405"))
pupil_detail_get = held_by(by_side(
    own=signed_in("404", principal="200", safety_officer="200", counselor="200",
                  head_teacher="200", head_other="404"), **_PUPIL_NOBODY),
    PRINCIPAL, SAFETY, COUNSELOR, HEAD, HEAD_OTHER)
# Who holds each write permission somewhere (the others get 403 at once).
CIRCUMSTANCE_WRITERS = (PRINCIPAL, SAFETY, HEAD, HEAD_OTHER)
STATUS_WRITERS = (PRINCIPAL, SAFETY)


def pupil_write(outcome: str, *, head_teacher: str) -> dict[str, dict[str, str]]:
    """A change made from the pupil's page: `outcome` for the principal and
    the safety officer, `head_teacher` for the pupil's head teacher, 404 for
    the other holders of the permission elsewhere, 403 at once for those who
    hold it nowhere (the counselor, who sees the pupil, among them)."""
    holders = CIRCUMSTANCE_WRITERS if head_teacher != "403" else STATUS_WRITERS
    return held_by(by_side(own=signed_in("404", principal=outcome, safety_officer=outcome,
                                         head_teacher=head_teacher, counselor="403",
                                         head_other="404"), **_PUPIL_NOBODY), *holders)


PUPIL_PAGE_ROWS: dict[str, Row] = {
    "schools:pupil_detail": Row(get=pupil_detail_get, post=_NOT_ALLOWED_ANY, kwargs=pupil_code,
                                sides=(OWN, PEER, FOREIGN), step_up=True),
    # An empty form: 400 with the errors, nothing saved.
    "schools:circumstance_add": Row(
        get=pupil_write("200", head_teacher="200"), post=pupil_write("400", head_teacher="400"),
        kwargs=pupil_code, sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:circumstance_end": Row(
        get=_NOT_ALLOWED_ANY, post=pupil_write("400", head_teacher="400"),
        kwargs=pupil_circumstance, sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:guardian_add": Row(
        get=pupil_write("200", head_teacher="200"), post=pupil_write("400", head_teacher="400"),
        kwargs=pupil_code, sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:guardian_edit": Row(
        get=pupil_write("200", head_teacher="200"), post=pupil_write("400", head_teacher="400"),
        kwargs=pupil_guardian, sides=(OWN, PEER, FOREIGN), step_up=True),
    "schools:pupil_status": Row(
        get=pupil_write("200", head_teacher="403"), post=pupil_write("400", head_teacher="403"),
        kwargs=pupil_code, sides=(OWN, PEER, FOREIGN), step_up=True),
}
PORTAL_ROWS.update(PUPIL_PAGE_ROWS)
# Head teacher at A (of no class), principal at B: B's pupil is hers.
TWO_SCHOOL_ROWS.update({
    "schools:pupil_detail": (sides("404", "200"), NOT_ALLOWED),
    "schools:circumstance_add": (sides("404", "200"), sides("404", "400")),
    "schools:circumstance_end": (NOT_ALLOWED, sides("404", "400")),
    "schools:guardian_add": (sides("404", "200"), sides("404", "400")),
    "schools:guardian_edit": (sides("404", "200"), sides("404", "400")),
    "schools:pupil_status": (sides("404", "200"), sides("404", "400")),
})


# ------------------------------------------------------------------ mandatory reporting
# Issue 10 item 6. At each school a concern without a referral and a referral
# (on a concern of its own). The school's referrals are its principal's and
# its mandatory-reporting leads' (none designated in this world) and the
# bureau's child-protection officers' (none here either): everyone else who
# holds the permission nowhere is refused at once (403), the principal of
# another school gets a 404 (the record does not exist for her).


def build_incident_samples(world, samples) -> None:
    from core import clock
    from incidents.models import (
        BullyingCase,
        BullyingParty,
        Concern,
        Dispute,
        DisputeReturn,
        Referral,
        ReferralAttachment,
    )

    for side, school in ((OWN, world.school_a), (PEER, world.school_b),
                         (FOREIGN, world.school_c)):
        def concern(school=school):
            return Concern.objects.create(
                school=school, child_description="约10岁男孩", observed="矩阵样本",
                observed_at=timezone.now(), logged_by=world.principal)

        samples[("incidents.concern", side)] = concern()
        samples[("incidents.referral", side)] = Referral.objects.create(
            school=school, concern=concern(), situations=["missing"],
            detected_at=timezone.now(), opened_by=world.principal)
        samples[("incidents.referralattachment", side)] = ReferralAttachment.objects.create(
            referral=samples[("incidents.referral", side)], image=sample_jpeg(),
            thumbnail=sample_jpeg(), caption="样本", width=4, height=4, sha256="0" * 64,
            uploaded_by=world.principal)
        # A bullying case about the pupil-page sample pupil (the bullied one).
        case = BullyingCase.objects.create(
            school=school, reported_at=timezone.now(), reporter="staff", acts=["physical"],
            description="矩阵样本", recorded_by=world.principal)
        BullyingParty.objects.create(case=case, pupil=samples[("pupil_page.pupil", side)],
                                     role="target")
        samples[("incidents.bullyingcase", side)] = case
        # A dispute of this month's return, still a draft.
        month = clock.today().replace(day=1)
        samples[("incidents.dispute", side)] = Dispute.objects.create(
            school=school, kind="student_student", parties="两名学生", summary="矩阵样本",
            risk="low", responsible=world.principal, found_on=clock.today(),
            recorded_by=world.principal,
            screening_return=DisputeReturn.objects.create(school=school, month=month))
        # Another, in last month's draft return: the one taken back.
        last_month = (month - dt.timedelta(days=1)).replace(day=1)
        samples[("incidents.dispute_removable", side)] = Dispute.objects.create(
            school=school, kind="home_school", parties="家长与学校", summary="矩阵样本",
            risk="low", responsible=world.principal, found_on=last_month,
            recorded_by=world.principal,
            screening_return=DisputeReturn.objects.create(school=school, month=last_month))


def incident_code(label):
    return lambda world, side: {"code": world.admin_sample(label, side).code}


def referral_transition_kwargs(world, side):
    return {"code": world.admin_sample("incidents.referral", side).code, "name": "accept"}


def _incident(outcome: str) -> dict[str, dict[str, str]]:
    return held_by(by_side(own=signed_in("404", principal=outcome), peer=signed_in("404"),
                           foreign=signed_in("404")), PRINCIPAL)


_INCIDENT_POST_ONLY = by_side(own=everyone("405"), peer=everyone("405"),
                              foreign=everyone("405"))
INCIDENT_ROWS: dict[str, Row] = {
    # POST with nothing chosen: 400 with the error, nothing opened.
    "incidents:concern_detail": Row(get=_incident("200"), post=_incident("400"),
                                    kwargs=incident_code("incidents.concern"),
                                    sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:referral_detail": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                     kwargs=incident_code("incidents.referral"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:referral_print": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                    kwargs=incident_code("incidents.referral"),
                                    sides=(OWN, PEER, FOREIGN), step_up=True),
    # Empty forms, and "accept" of a referral not yet reported: 400.
    "incidents:referral_report": Row(get=_INCIDENT_POST_ONLY, post=_incident("400"),
                                     kwargs=incident_code("incidents.referral"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:referral_note": Row(get=_INCIDENT_POST_ONLY, post=_incident("400"),
                                   kwargs=incident_code("incidents.referral"),
                                   sides=(OWN, PEER, FOREIGN), step_up=True),
    # No file and no caption: 400 with the errors.
    "incidents:referral_attach": Row(get=_INCIDENT_POST_ONLY, post=_incident("400"),
                                     kwargs=incident_code("incidents.referral"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:attachment_view": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                     kwargs=incident_code("incidents.referralattachment"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:attachment_download": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                         kwargs=incident_code("incidents.referralattachment"),
                                         sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:referral_transition": Row(get=_INCIDENT_POST_ONLY, post=_incident("400"),
                                         kwargs=referral_transition_kwargs,
                                         sides=(OWN, PEER, FOREIGN), step_up=True),
    # Logging a concern: any member of a school's staff, no second factor (the
    # page shows no child); the bureau holds the permission nowhere. An empty
    # form is a 400 with the errors.
    "incidents:concern_new": Row(get=signed_in("200", bureau_admin="403", inspector="403",
                                               auditor="403"),
                                 post=signed_in("400", bureau_admin="403", inspector="403",
                                                auditor="403")),
    "incidents:my_concerns": Row(get=signed_in("200", bureau_admin="403", inspector="403",
                                               auditor="403"), post=everyone("405")),
    # The samples were logged by A's principal: only she reads hers back,
    # and only while she is on A's staff; B's is not reachable from A.
    "incidents:my_concern_detail": Row(
        get=held_by(by_side(own=signed_in("404", principal="200"), peer=signed_in("404"),
                            foreign=signed_in("404")), *SCHOOL_STAFF, "head_other"),
        post=_INCIDENT_POST_ONLY, kwargs=incident_code("incidents.concern"),
        sides=(OWN, PEER, FOREIGN), step_up=True),
    # The bureau view: counts for the bureau's admin and inspectors (and its
    # child-protection officers, not in this table); nobody at a school.
    "incidents:bureau_counts": Row(get=signed_in("403", bureau_admin="200", inspector="200"),
                                   post=everyone("405")),
    "incidents:bureau_counts_xlsx": Row(get=signed_in("403", bureau_admin="200",
                                                      inspector="200"),
                                        post=everyone("405")),
    # The officer's list of the district's referrals: bureau officers only
    # (not in this table); a principal holds the permission at her school
    # only, so she too is refused.
    "incidents:bureau_referrals": Row(get=signed_in("403"), post=everyone("405"),
                                      step_up=True),
    # The principal names the leads; an empty POST names none (a redirect).
    "incidents:school_leads": Row(get=_incident("200"), post=_incident("redirect"),
                                  kwargs=school_pk, sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:school_concerns": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                     kwargs=school_pk, sides=(OWN, PEER, FOREIGN),
                                     step_up=True),
}
PORTAL_ROWS.update(INCIDENT_ROWS)

# ------------------------------------------------------------------ the class register
# Issue 11 items 1 and 8. The class is the sample pupil's (grade 4 class 1 of
# each school, led at A by world.head_teacher; HEAD_OTHER leads the class
# beside it). No term is set, so no day is a school day: the page says so and
# a sent register is refused (400) — only the class's keepers get that far.


def register_class(world, side):
    return {"pk": matrix_pupil(world, side).current_class_id}


def build_register_samples(world, samples) -> None:
    """Today's register of the sample pupil's class at each school, the pupil
    marked truant (written directly: no term is set, so the service would
    refuse the day)."""
    from attendance.models import AttendanceMark, ClassRegister

    for side in (OWN, PEER, FOREIGN):
        pupil = matrix_pupil(world, side)
        register = ClassRegister.objects.create(
            school=pupil.school, school_class=pupil.current_class, day=timezone.localdate(),
            taken_by=world.principal, taken_at=timezone.now())
        AttendanceMark.objects.create(register=register, pupil=pupil, code="truant")
        samples[("attendance.classregister", side)] = register


def register_contact(world, side):
    return {"register_id": world.admin_sample("attendance.classregister", side).pk,
            "pupil_code": matrix_pupil(world, side).code}


REGISTER_KEEPERS = {PRINCIPAL: "200", SAFETY: "200", HEAD: "200"}
REGISTER_ROWS: dict[str, Row] = {
    # Staff keep no register unless the principal allows them a class.
    "attendance:registers": Row(get=signed_in("403", **REGISTER_KEEPERS),
                                post=everyone("405")),
    "attendance:register": Row(
        get=by_side(own=signed_in("404", **REGISTER_KEEPERS, head_other="404"),
                    peer=signed_in("404"), foreign=signed_in("404")),
        post=by_side(own=signed_in("404", principal="400", safety_officer="400",
                                   head_teacher="400", head_other="404"),
                     peer=signed_in("404"), foreign=signed_in("404")),
        kwargs=register_class, sides=(OWN, PEER, FOREIGN)),
    # The guardians' phones: the class's keepers only; an empty form is a 400.
    "attendance:contact": Row(
        get=by_side(own=signed_in("404", **REGISTER_KEEPERS, head_other="404"),
                    peer=signed_in("404"), foreign=signed_in("404")),
        post=by_side(own=signed_in("404", principal="400", safety_officer="400",
                                   head_teacher="400", head_other="404"),
                     peer=signed_in("404"), foreign=signed_in("404")),
        kwargs=register_contact, sides=(OWN, PEER, FOREIGN)),
}
PORTAL_ROWS.update(REGISTER_ROWS)


def school_month(world, side):
    from core import clock

    today = clock.today()
    return {"pk": school_of(world, side).pk, "year": today.year, "month": today.month}


def _disputes(outcome: str) -> dict[str, dict[str, str]]:
    """矛盾纠纷排查: the school's principal and safety officer; whoever files
    no return anywhere is refused at once (403); a filer of another school
    does not see this one (404)."""
    filers = {PRINCIPAL: outcome, SAFETY: outcome}
    elsewhere = {PRINCIPAL: "404", SAFETY: "404"}
    return by_side(own=signed_in("403", **filers), peer=signed_in("403", **elsewhere),
                   foreign=signed_in("403", **elsewhere))


_EVERYONE_405 = by_side(own=everyone("405"), peer=everyone("405"), foreign=everyone("405"))
DISPUTE_ROWS: dict[str, Row] = {
    "incidents:school_disputes": Row(get=_disputes("200"), post=_EVERYONE_405,
                                     kwargs=school_pk, sides=(OWN, PEER, FOREIGN)),
    "incidents:dispute_return": Row(get=_disputes("200"), post=_EVERYONE_405,
                                    kwargs=school_month, sides=(OWN, PEER, FOREIGN)),
    # An empty form: 400 with the errors, nothing recorded.
    "incidents:dispute_add": Row(get=_EVERYONE_405, post=_disputes("400"),
                                 kwargs=school_month, sides=(OWN, PEER, FOREIGN)),
    # The sample return lists a dispute: filing it succeeds (and ends it, so last).
    "incidents:dispute_return_submit": Row(get=_EVERYONE_405, post=_disputes("redirect"),
                                           kwargs=school_month, sides=(OWN, PEER, FOREIGN),
                                           last=True),
    # Its own sample, in a draft return: taking it back succeeds (and removes
    # the sample, so last). Another school's dispute does not exist.
    "incidents:dispute_remove": Row(get=_EVERYONE_405, post=_disputes("redirect"),
                                    kwargs=incident_code("incidents.dispute_removable"),
                                    sides=(OWN, PEER, FOREIGN), last=True),
    # No action, no date: 400. Another school's dispute does not exist (404).
    "incidents:dispute_settle": Row(get=_EVERYONE_405, post=_disputes("400"),
                                    kwargs=incident_code("incidents.dispute"),
                                    sides=(OWN, PEER, FOREIGN)),
    # The bureau: filing per school and suppressed counts for the bureau's
    # admin and inspectors; the due day is the admin's (an empty POST: 400).
    "incidents:bureau_disputes": Row(get=signed_in("403", bureau_admin="200", inspector="200"),
                                     post=everyone("405")),
    "incidents:bureau_disputes_xlsx": Row(get=signed_in("403", bureau_admin="200",
                                                        inspector="200"),
                                          post=everyone("405")),
    "incidents:bureau_dispute_day": Row(get=everyone("405"),
                                        post=signed_in("403", bureau_admin="400")),
}
PORTAL_ROWS.update(DISPUTE_ROWS)


def bullying_note_kwargs(world, side):
    return {"code": world.admin_sample("incidents.bullyingcase", side).code, "action": "note"}


def _support(outcome: str) -> dict[str, dict[str, str]]:
    """The counselor's page of a case: the school's counselor and principal;
    whoever supports nowhere is refused at once; another school's case does
    not exist."""
    return held_by(by_side(own=signed_in("404", principal=outcome, counselor=outcome),
                           peer=signed_in("404"), foreign=signed_in("404")),
                   PRINCIPAL, COUNSELOR)


def _status(principal: str, head_teacher: str) -> dict[str, dict[str, str]]:
    """The head teacher's page of a case: the head teacher of the pupil's
    class and the principal; another head teacher of the school does not
    reach it (404)."""
    return held_by(by_side(own=signed_in("404", principal=principal, head_teacher=head_teacher,
                                         head_other="404"),
                           peer=signed_in("404"), foreign=signed_in("404")),
                   PRINCIPAL, HEAD, HEAD_OTHER)


# 学生欺凌 (issue 10 item 3): the school's cases are its principal's (and its
# leads', none here); the counselor reaches the support page; the head
# teacher of the sample pupil's class the status page.
BULLYING_ROWS: dict[str, Row] = {
    "incidents:school_bullying": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                     kwargs=school_pk, sides=(OWN, PEER, FOREIGN),
                                     step_up=True),
    # An empty form: 400 with the errors, nothing recorded.
    "incidents:bullying_new": Row(get=_incident("200"), post=_incident("400"),
                                  kwargs=school_pk, sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:bullying_detail": Row(get=_incident("200"), post=_INCIDENT_POST_ONLY,
                                     kwargs=incident_code("incidents.bullyingcase"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:bullying_action": Row(get=_INCIDENT_POST_ONLY, post=_incident("400"),
                                     kwargs=bullying_note_kwargs,
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    "incidents:bullying_support": Row(get=_support("200"), post=_support("400"),
                                      kwargs=incident_code("incidents.bullyingcase"),
                                      sides=(OWN, PEER, FOREIGN), step_up=True),
    # With no visit given to her, a POST is refused (403).
    "incidents:bullying_status": Row(get=_status("200", "200"), post=_status("403", "403"),
                                     kwargs=incident_code("incidents.bullyingcase"),
                                     sides=(OWN, PEER, FOREIGN), step_up=True),
    # The counselor's list of her school's open cases (and the principal's).
    "incidents:bullying_support_list": Row(
        get=signed_in("403", principal="200", counselor="200"), post=everyone("405"),
        step_up=True),
    "incidents:bullying_classes": Row(
        get=signed_in("403", principal="200", head_teacher="200", head_other="200"),
        post=everyone("405"), step_up=True),
}
PORTAL_ROWS.update(BULLYING_ROWS)
# Head teacher at A, principal at B: B's referrals are hers, A's do not exist.
TWO_SCHOOL_ROWS.update({
    "incidents:concern_detail": (sides("404", "200"), sides("404", "400")),
    "incidents:referral_detail": (sides("404", "200"), NOT_ALLOWED),
    "incidents:referral_print": (sides("404", "200"), NOT_ALLOWED),
    "incidents:referral_report": (NOT_ALLOWED, sides("404", "400")),
    "incidents:referral_note": (NOT_ALLOWED, sides("404", "400")),
    "incidents:referral_attach": (NOT_ALLOWED, sides("404", "400")),
    "incidents:attachment_view": (sides("404", "200"), NOT_ALLOWED),
    "incidents:attachment_download": (sides("404", "200"), NOT_ALLOWED),
    "incidents:referral_transition": (NOT_ALLOWED, sides("404", "400")),
    # Neither sample is one she logged.
    "incidents:my_concern_detail": (sides("404", "404"), NOT_ALLOWED),
    # A's staff know A exists: its list is refused, not hidden.
    "incidents:school_concerns": (sides("403", "200"), NOT_ALLOWED),
    "incidents:school_leads": (sides("403", "200"), sides("403", "redirect")),
    # 矛盾纠纷排查 is B's principal's: A (where she is a head teacher) refuses
    # her; A's disputes are hidden from her.
    "incidents:school_disputes": (sides("403", "200"), NOT_ALLOWED),
    "incidents:dispute_return": (sides("403", "200"), NOT_ALLOWED),
    "incidents:dispute_add": (NOT_ALLOWED, sides("403", "400")),
    "incidents:dispute_return_submit": (NOT_ALLOWED, sides("403", "redirect")),
    "incidents:dispute_settle": (NOT_ALLOWED, sides("404", "400")),
    "incidents:dispute_remove": (NOT_ALLOWED, sides("404", "redirect")),
    # Bullying: B's cases are hers; at A she is a head teacher of no class.
    "incidents:school_bullying": (sides("403", "200"), NOT_ALLOWED),
    "incidents:bullying_new": (sides("403", "200"), sides("403", "400")),
    "incidents:bullying_detail": (sides("404", "200"), NOT_ALLOWED),
    "incidents:bullying_action": (NOT_ALLOWED, sides("404", "400")),
    "incidents:bullying_support": (sides("404", "200"), sides("404", "400")),
    "incidents:bullying_status": (sides("404", "200"), sides("404", "403")),
})

# ------------------------------------------------------------------ admin rows
# Which actions each bureau role has on each model in the admin. Everyone else
# (school staff, the auditor, signed-out users) is sent to the admin's sign-in.
ADMIN_MODELS: dict[str, dict[str, set[str]]] = {
    "schools.user": {BADMIN: {"view", "add", "change"}},
    "schools.bureau": {BADMIN: {"view", "change"}, INSPECTOR: {"view"}},
    "schools.school": {BADMIN: {"view", "add", "change"}, INSPECTOR: {"view"}},
    "schools.schoolclass": {BADMIN: {"view", "add", "change", "delete"}, INSPECTOR: {"view"}},
    "schools.membership": {BADMIN: {"view", "add", "change", "delete"}, INSPECTOR: {"view"}},
    "schools.taskforcemember": {BADMIN: {"view", "add", "change", "delete"},
                                INSPECTOR: {"view"}},
    "schools.schoolterm": {BADMIN: {"view", "add", "change", "delete"}, INSPECTOR: {"view"}},
    "schools.calendarday": {BADMIN: {"view", "add", "change", "delete"}, INSPECTOR: {"view"}},
    "reporting.campaign": {BADMIN: {"view", "add", "change"}, INSPECTOR: {"view"}},
    "reporting.deadline": {BADMIN: {"view", "change"}, INSPECTOR: {"view"}},
    "reporting.progressreport": {BADMIN: {"view"}, INSPECTOR: {"view"}},
    "notifications.notice": {BADMIN: {"view"}},
    "axes.accessattempt": {BADMIN: {"view", "delete"}},
    "axes.accesslog": {BADMIN: {"view"}},
    "axes.accessfailurelog": {BADMIN: {"view"}},
    "django_celery_beat.periodictask": {},
    "django_celery_beat.crontabschedule": {},
    "django_celery_beat.intervalschedule": {},
    "django_celery_beat.solarschedule": {},
    "django_celery_beat.clockedschedule": {},
}
# Models whose rows belong to one district: the other district's row must be
# invisible in the admin too (G2).
DISTRICT_SCOPED = {"schools.bureau", "schools.school", "schools.schoolclass",
                   "schools.schoolterm", "schools.calendarday",
                   "schools.membership", "schools.taskforcemember", "schools.user",
                   "reporting.campaign", "reporting.deadline", "reporting.progressreport"}
ADMIN_VIEWS = {
    "changelist": ("view", False), "add": ("add", False), "change": ("view", True),
    "delete": ("delete", True), "history": ("view", True),
}
ADMIN_USERS = (BADMIN, INSPECTOR)


def admin_outside(outcome: str = "admin_login") -> dict[str, str]:
    return everyone(outcome)


def admin_model_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for label, grants in ADMIN_MODELS.items():
        app_label, model = label.split(".")
        for view, (needed, has_object) in ADMIN_VIEWS.items():
            def outcome(role: str, method: str, side: str, view=view, grants=grants) -> str:
                if role not in ADMIN_USERS:
                    return "admin_login"
                held = set(grants.get(role, set()))
                if "change" in held:
                    held.add("view")
                # Django's order: history looks the object up first; the other
                # object views check the permission first, then bounce a
                # missing (or other district's) object.
                if view == "history" and side == FOREIGN:
                    return "redirect"
                needed = "change" if view == "change" and method == "POST" else \
                    ADMIN_VIEWS[view][0]
                if needed not in held:
                    return "403"
                if side == FOREIGN:
                    return "redirect"
                # An empty POST saves nothing (form errors) and deletes nothing
                # (no confirmation), so it re-renders the page.
                return "200"

            sides = (OWN, FOREIGN) if has_object and label in DISTRICT_SCOPED else (OWN,)
            get = {s: {r: outcome(r, "GET", s) for r in PRINCIPALS} for s in sides}
            post = {s: {r: outcome(r, "POST", s) for r in PRINCIPALS} for s in sides}
            rows[f"admin:{app_label}_{model}_{view}"] = Row(
                get=get, post=post, sides=sides, last=view == "delete",
                kwargs=(lambda w, side, label=label: {"object_id": w.admin_sample(label, side).pk})
                if has_object else None,
            )
    rows["admin:auth_user_password_change"] = Row(
        get=admin_outside() | {BADMIN: "200", INSPECTOR: "403"},
        post=admin_outside() | {BADMIN: "200", INSPECTOR: "403"},
        kwargs=lambda w, side: {"id": w.admin_sample("schools.user", side).pk},
    )
    return rows


ADMIN_ROWS: dict[str, Row] = {
    "admin:index": Row(get=admin_outside() | {BADMIN: "200", INSPECTOR: "200"}),
    "admin:login": Row(
        get=everyone("200", bureau_admin="redirect", inspector="redirect"),
        post=everyone("200"),  # an empty sign-in form, whoever posts it
    ),
    # Outsiders are bounced to the admin index (and from there to its sign-in);
    # sign-out is POST only and lands on the portal's sign-in page.
    "admin:logout": Row(
        get=everyone("redirect", bureau_admin="405", inspector="405"),
        post=everyone("redirect", bureau_admin="login", inspector="login"),
        last=True,
    ),
    "admin:password_change": Row(get=admin_outside() | {BADMIN: "200", INSPECTOR: "200"}),
    "admin:password_change_done": Row(
        get=admin_outside() | {BADMIN: "200", INSPECTOR: "200"},
        post=admin_outside() | {BADMIN: "405", INSPECTOR: "405"}),
    "admin:jsi18n": Row(get=admin_outside() | {BADMIN: "200", INSPECTOR: "200"},
                        post=admin_outside() | {BADMIN: "405", INSPECTOR: "405"}),
    # Missing query parameters: refused whoever asks.
    "admin:autocomplete": Row(get=admin_outside() | {BADMIN: "403", INSPECTOR: "403"},
                              post=admin_outside() | {BADMIN: "405", INSPECTOR: "405"}),
    # No model has a public page, so "view on site" finds nothing.
    "admin:view_on_site": Row(
        get=admin_outside() | {BADMIN: "404", INSPECTOR: "404"},
        kwargs=lambda w, side: {"content_type_id": ContentType.objects.get_for_model(
            w.school_a).pk, "object_id": w.school_a.pk},
    ),
    "admin:app_list": Row(
        get=by_side(own=admin_outside() | {BADMIN: "200", INSPECTOR: "200"},
                    foreign=admin_outside() | {BADMIN: "404", INSPECTOR: "404"}),
        kwargs=lambda w, side: {"app_label": "schools" if side == OWN
                                else "django_celery_beat"},
        sides=(OWN, FOREIGN),
    ),
    # Each model's old-style object URL, a redirect to its change page (unnamed).
    "admin:<object-redirect>": Row(
        get=admin_outside() | {BADMIN: "redirect", INSPECTOR: "redirect"}),
    # Django's catch-all for unknown admin paths (unnamed in the resolver).
    "admin:<catch-all>": Row(get=admin_outside() | {BADMIN: "404", INSPECTOR: "404"}),
}

MATRIX: dict[str, Row] = {**PORTAL_ROWS, **ADMIN_ROWS, **admin_model_rows()}


# ------------------------------------------------------------------ the walk
def walk(patterns, namespace: str | None = None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if p.namespace and namespace:
                ns = f"{namespace}:{p.namespace}"
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            if p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name
            elif namespace == "admin" and p.callback.__name__ == "catch_all_view":
                yield "admin:<catch-all>"
            elif namespace == "admin" and str(p.pattern) == "<path:object_id>/":
                yield "admin:<object-redirect>"
            else:
                yield f"<unnamed:{p.pattern}>"


def all_url_names() -> set[str]:
    return set(walk(get_resolver().url_patterns))


def test_every_url_pattern_has_a_row():
    missing = sorted(all_url_names() - set(MATRIX))
    assert not missing, f"URL patterns with no row in the authorization matrix: {missing}"


def test_every_row_is_a_real_url_pattern():
    stale = sorted(set(MATRIX) - all_url_names())
    assert not stale, f"Rows for URL patterns that no longer exist: {stale}"


def test_every_row_with_a_peer_side_has_a_two_school_expectation():
    with_peer = {name for name, row in MATRIX.items() if PEER in row.sides}
    assert with_peer == set(TWO_SCHOOL_ROWS)


def test_every_admin_model_has_a_row():
    from django.contrib import admin

    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS)


# ------------------------------------------------------------------ the run
@dataclass
class MatrixWorld:
    base: object
    samples: dict = field(default_factory=dict)
    matrix_deadlines: dict = field(default_factory=dict)
    matrix_reports: dict = field(default_factory=dict)
    matrix_photos: dict = field(default_factory=dict)
    matrix_robots: dict = field(default_factory=dict)
    matrix_uploads: dict = field(default_factory=dict)
    export_job: object = None

    def __getattr__(self, name):
        return getattr(self.base, name)

    def admin_sample(self, label: str, side: str):
        return self.samples[(label, side)]


def build_samples(world) -> dict:
    """One row of each admin model for the own district and for the foreign one.
    Separate from the acting users, so deleting a sample removes no one's access."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    samples = {}
    for side, school, bureau in ((OWN, world.school_a, world.bureau),
                                 (FOREIGN, world.school_c, world.other_bureau)):
        member = UserFactory(username=f"sample-{side}")
        membership = MembershipFactory(user=member, role=Role.STAFF, school=school)
        cls = SchoolClassFactory(school=school, grade=5, number=9)
        TaskForceMember.objects.create(school=school, user=member, duty="样本")
        samples[("schools.user", side)] = member
        samples[("schools.bureau", side)] = bureau
        samples[("schools.school", side)] = school
        samples[("schools.schoolclass", side)] = cls
        samples[("schools.membership", side)] = membership
        samples[("schools.taskforcemember", side)] = TaskForceMember.objects.get(
            school=school, user=member)
        samples[("schools.schoolterm", side)] = SchoolTerm.objects.create(
            bureau=bureau, name="样本学期", starts_on=dt.date(2020, 2, 1),
            ends_on=dt.date(2020, 7, 1))
        samples[("schools.calendarday", side)] = CalendarDay.objects.create(
            bureau=bureau, day=dt.date(2020, 3, 2), reason="样本")
        campaign = CampaignFactory(bureau=bureau)
        deadline = DeadlineFactory(campaign=campaign)
        samples[("reporting.campaign", side)] = campaign
        samples[("reporting.deadline", side)] = deadline
        samples[("reporting.progressreport", side)] = ProgressReportFactory(
            school=school, deadline=deadline)
    # Task force members the portal rows remove (one per school).
    for school, user in ((world.school_a, world.staff), (world.school_b, world.peer_principal),
                         (world.school_c, world.foreign_principal)):
        TaskForceMember.objects.get_or_create(school=school, user=user)
    from notifications.models import Notice

    samples[("notifications.notice", OWN)] = Notice.objects.create(
        key="sample", kind="digest", recipient=world.inspector, context={"count": 1, "path": "/"})
    now = timezone.now()
    interval = IntervalSchedule.objects.create(every=10, period="minutes")
    samples[("axes.accessattempt", OWN)] = AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="t", failures_since_start=1,
        get_data="", post_data="", http_accept="", path_info="/")
    samples[("axes.accesslog", OWN)] = AccessLog.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="t", http_accept="",
        path_info="/")
    samples[("axes.accessfailurelog", OWN)] = AccessFailureLog.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="t", http_accept="",
        path_info="/", locked_out=False)
    samples[("django_celery_beat.intervalschedule", OWN)] = interval
    samples[("django_celery_beat.crontabschedule", OWN)] = CrontabSchedule.objects.create()
    samples[("django_celery_beat.solarschedule", OWN)] = SolarSchedule.objects.create(
        event="sunrise", latitude=30, longitude=120)
    samples[("django_celery_beat.clockedschedule", OWN)] = ClockedSchedule.objects.create(
        clocked_time=now)
    samples[("django_celery_beat.periodictask", OWN)] = PeriodicTask.objects.create(
        name="sample", task="safety_portal.ping", interval=interval)
    return samples


def sample_jpeg() -> str:
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    return default_storage.save("photos/matrix/sample.jpg", ContentFile(buffer.getvalue()))


def sample_roster_upload(school) -> RosterUpload:
    """A pending roster upload of `school` by its principal (a one-row CSV)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    data = "学籍号,姓名,性别,出生日期,年级,班级\nL20150001,张小明,男,2015-03-05,三年级,2\n".encode()
    name = default_storage.save("rosters/matrix/sample.csv", ContentFile(data))
    principal = Membership.objects.get(school=school, role=Role.PRINCIPAL).user
    return RosterUpload.objects.create(
        school=school, uploaded_by=principal, file=name, file_kind="csv",
        sha256=hashlib.sha256(data).hexdigest())


def acting_user(world, principal: str):
    if principal == ANON:
        return None
    if principal == DEACTIVATED:
        user = UserFactory(username="deactivated")
        MembershipFactory(user=user, role=Role.PRINCIPAL, school=world.school_a)
        user.is_active = False
        user.save()
        return user
    if principal == HEAD_OTHER:
        return head_other_user(world)
    if principal == TWO_SCHOOLS:
        user = UserFactory(username="two-schools")
        MembershipFactory(user=user, role=Role.HEAD_TEACHER, school=world.school_a)
        MembershipFactory(user=user, role=Role.PRINCIPAL, school=world.school_b)
        return user
    return getattr(world, principal)


def url_for(name: str, row: Row, world, side: str) -> str:
    if name == "admin:<catch-all>":
        return f"/{settings.ADMIN_URL}no-such-page/"
    if name == "admin:<object-redirect>":
        return f"/{settings.ADMIN_URL}schools/school/{world.school_a.pk}/"
    kwargs = row.kwargs(world, side) if row.kwargs else {}
    return reverse(name, kwargs=kwargs)


def classify(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "login"
        if location.startswith(reverse("admin:login")):
            return "admin_login"
        return "redirect"
    return str(response.status_code)


def expected(table, side: str, principal: str, name: str = "", method: str = "GET") -> str:
    if principal == HEAD_OTHER:
        # Another head teacher at A: what the head teacher gets, unless the
        # row names her.
        per_side = table[side] if isinstance(next(iter(table.values())), dict) else table
        return per_side.get(HEAD_OTHER, per_side[HEAD])
    if principal == TWO_SCHOOLS:
        if name in TWO_SCHOOL_ROWS:
            return TWO_SCHOOL_ROWS[name][method == "POST"][side]
        if name in TWO_SCHOOL_PLAIN_ROWS:
            return TWO_SCHOOL_PLAIN_ROWS[name][method == "POST"]
        # Not about a school of hers: what every school staff member gets (the
        # head teacher and the principal must agree, or the row needs her entry).
        as_head, as_principal = (expected(table, side, p) for p in (HEAD, PRINCIPAL))
        assert as_head == as_principal, f"{name}: give {TWO_SCHOOLS} an explicit entry"
        return as_head
    if isinstance(next(iter(table.values())), dict):
        return table[side][principal]
    return table[principal]


@pytest.mark.parametrize("principal", [*PRINCIPALS, TWO_SCHOOLS, HEAD_OTHER])
def test_authorization_matrix(world, client, principal, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mworld = MatrixWorld(world, build_samples(world))
    build_pupil_page_samples(world, mworld.samples)
    build_incident_samples(world, mworld.samples)
    build_register_samples(mworld, mworld.samples)
    mworld.export_job = ExportJob.objects.create(
        kind="timeliness", campaign=CampaignFactory(bureau=world.bureau),
        requested_by=world.inspector, status="done", file=sample_jpeg())
    for side, school in ((OWN, world.school_a), (PEER, world.school_b),
                         (FOREIGN, world.school_c)):
        mworld.matrix_robots[side] = GroupRobot.objects.create(
            school=school, platform=GroupRobot.Platform.WECOM,
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix")
        deadline = DeadlineFactory(campaign=CampaignFactory(bureau=school.bureau))
        mworld.matrix_deadlines[side] = deadline
        mworld.matrix_reports[side] = ProgressReportFactory(
            school=school, deadline=DeadlineFactory(campaign=deadline.campaign,
                                                    due_date=dt.date(2026, 5, 24)),
            status=ReportStatus.SUBMITTED, first_submitted_at=timezone.now())
        Bulletin.objects.create(deadline=deadline, title="通报", body="正文",
                                figures={"expected": 1, "submitted": 0, "on_time": [],
                                         "late": [], "missing": ["x"], "on_time_rate": 0})
        mworld.matrix_uploads[side] = sample_roster_upload(school)
        mworld.matrix_photos[side] = ReportPhoto.objects.create(
            report=mworld.matrix_reports[side], image=sample_jpeg(), thumbnail=sample_jpeg(),
            caption="样本", taken_on=dt.date(2026, 5, 1), width=1, height=1, sha256="0" * 64,
            uploaded_by=world.principal)
    user = acting_user(world, principal)
    requests = []
    for name, row in MATRIX.items():
        for side in row.sides:
            requests.append((False, "GET", name, row, side))
            requests.append((row.last, "POST", name, row, side))
    requests.sort(key=lambda r: r[0])  # GETs and harmless POSTs first

    failures = []
    for _last, method, name, row, side in requests:
        client.logout()
        if user is not None:
            sign_in(client, user, verified=True if row.step_up else None)
        url = url_for(name, row, mworld, side)
        response = client.get(url) if method == "GET" else client.post(url, {})
        table = row.get if method == "GET" or row.post is None else row.post
        want = expected(table, side, principal, name, method)
        got = classify(response)
        if got != want:
            failures.append(f"{method} {name} [{side}] {url}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


def test_denials_reveal_nothing_about_the_other_school(world, login):
    login(world.principal)
    response = login(world.principal).get(reverse("schools:detail", args=[world.school_b.pk]))
    assert response.status_code == 404
    assert world.school_b.name not in response.content.decode()


def test_a_deactivated_user_loses_access_on_the_next_request(world, login):
    client = login(world.safety_officer)
    assert client.get(reverse("home")).status_code == 200
    world.safety_officer.is_active = False
    world.safety_officer.save()
    assert classify(client.get(reverse("home"))) == "login"


def test_a_demoted_user_loses_access_on_the_next_request(world, login):
    client = login(world.principal)
    url = reverse("schools:task_force_add", args=[world.school_a.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=world.principal).update(role=Role.STAFF)
    assert client.get(url).status_code == 403

