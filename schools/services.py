"""Business actions on schools and their people. Views, admin actions and
commands call these; none of them writes these models directly.

Changes to a school's task force are announced through core.signals'
``business_action`` ("task_force.add", "task_force.remove",
"task_force.leader") and so are a school's joining and closing ("school.join",
"school.close"), which audit records: schools may not import audit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.signals import business_action

from .models import Membership, School, TaskForceMember, User
from .signals import membership_changed, password_changed


@transaction.atomic
def school_save(*, school: School, by: User | None = None, request=None) -> School:
    """Save a school (the admin's form, a command) and announce a change of its
    campaign period: closing it or taking it out of the campaign ("school.close",
    extra new = the closing day), opening it again or putting it back
    ("school.join", extra new = the joining day). The days themselves are set
    by schools.receivers.stamp_period whoever saves (issue 8 item 3)."""
    school.save()
    change = getattr(school, "_period_change", None)
    if change is not None:
        day = school.closed_on if change == "close" else school.joined_on
        business_action.send(sender=None, code=f"school.{change}", by=by, obj=school,
                             school_id=school.pk, request=request,
                             extra={"new": day.isoformat()})
    return school


def task_force_check_eligible(*, school: School, user: User) -> None:
    """Only people who hold an active role at the school may join its task force."""
    if not Membership.objects.active().filter(school=school, user=user).exists():
        raise ValidationError({"user": _("This person has no active role at this school.")})


def _task_force_announce(code: str, member: TaskForceMember, by: User | None, request,
                         **extra) -> None:
    business_action.send(sender=None, code=code, by=by, obj=member,
                         school_id=member.school_id, request=request,
                         extra={"subject_user": member.user_id, **extra})


def _member_role(is_leader: bool) -> str:
    return "leader" if is_leader else "member"


@transaction.atomic
def task_force_add_member(
    *, school: School, user: User, duty: str = "", is_leader: bool = False,
    by: User | None = None, request=None,
) -> TaskForceMember:
    """Put a member of the school's staff on its task force (工作专班) and
    return the new TaskForceMember.

    Only people who hold an active role at the school may join, once
    (ValidationError otherwise). Naming a new leader steps the previous leader
    down, in the same transaction. Announced as "task_force.add" by `by`
    (extra: subject_user, role "leader"/"member", and old = the previous
    leader's user id when one stepped down); the duty's text is not announced.
    """
    task_force_check_eligible(school=school, user=user)
    if TaskForceMember.objects.filter(school=school, user=user).exists():
        raise ValidationError({"user": _("This person is already on the task force.")})
    extra = {"role": _member_role(is_leader)}
    if is_leader:
        previous = list(TaskForceMember.objects.select_for_update()
                        .filter(school=school, is_leader=True).values_list("user_id", flat=True))
        if previous:
            TaskForceMember.objects.filter(school=school, is_leader=True).update(is_leader=False)
            extra["old"] = previous[0]
    member = TaskForceMember(school=school, user=user, duty=duty.strip(), is_leader=is_leader)
    member.full_clean()
    member.save()
    _task_force_announce("task_force.add", member, by, request, **extra)
    return member


@transaction.atomic
def task_force_remove_member(*, school: School, member_id: int, by: User | None = None,
                             request=None) -> None:
    """Take member `member_id` off `school`'s task force. Raises
    TaskForceMember.DoesNotExist if it is not one of that school's. Announced
    as "task_force.remove" (extra: subject_user, role "leader"/"member")."""
    member = TaskForceMember.objects.select_for_update().filter(
        school=school, pk=member_id).first()
    if member is None:
        raise TaskForceMember.DoesNotExist
    TaskForceMember.objects.filter(pk=member.pk).delete()  # `member` keeps its pk
    _task_force_announce("task_force.remove", member, by, request,
                         role=_member_role(member.is_leader))


@transaction.atomic
def task_force_set_leader(*, school: School, member_id: int | None, by: User | None = None,
                          request=None) -> TaskForceMember | None:
    """Make member `member_id` the leader of `school`'s task force, stepping
    the previous leader down; member_id=None leaves it without a leader.
    Returns the new leader (or None). Raises TaskForceMember.DoesNotExist if
    `member_id` is not one of that school's members. Nothing changes, and
    nothing is announced, when that member already leads. Otherwise announced
    once as "task_force.leader" (on the new leader's row, or on the stepped
    down one's when none; extra: subject_user, old/new = the previous and
    new leader's user ids, None for none)."""
    members = TaskForceMember.objects.select_for_update().filter(school=school)
    previous = members.filter(is_leader=True).first()
    leader = None
    if member_id is not None:
        leader = members.filter(pk=member_id).first()
        if leader is None:
            raise TaskForceMember.DoesNotExist
    if (previous and previous.pk) == (leader and leader.pk):
        return leader
    if previous is not None:
        TaskForceMember.objects.filter(pk=previous.pk).update(is_leader=False)
    if leader is not None:
        TaskForceMember.objects.filter(pk=leader.pk).update(is_leader=True)
        leader.is_leader = True
    _task_force_announce("task_force.leader", leader or previous, by, request,
                         old=previous.user_id if previous else None,
                         new=leader.user_id if leader else None)
    return leader


def user_set_language(*, user: User, language: str) -> bool:
    """Remember the language `user` reads the portal and its e-mails in.
    Returns whether it changed; an unknown language is refused."""
    if language not in dict(User._meta.get_field("language").choices):
        raise ValidationError(_("Choose one of the portal's languages."))
    if user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


def _held(m: Membership | dict | None) -> tuple | None:
    """(role, school_id, bureau_id) a membership grants, None when inactive."""
    if m is None:
        return None
    get = m.get if isinstance(m, dict) else (lambda name: getattr(m, name))
    if not get("is_active"):
        return None
    return (get("role"), get("school_id"), get("bureau_id"))


def membership_state(membership: Membership) -> dict | None:
    """The membership's role as stored now (one query), for `membership_saved`'s
    `before`; None for an unsaved one."""
    if membership.pk is None:
        return None
    return Membership.objects.filter(pk=membership.pk).values(
        "role", "school_id", "bureau_id", "is_active").first()


def _announce(membership_id: int, membership: Membership, change: str, held: tuple,
              by: User | None, request) -> None:
    role, school_id, bureau_id = held
    membership_changed.send(
        sender=Membership, membership=membership, membership_id=membership_id, change=change,
        role=role, school_id=school_id, bureau_id=bureau_id, user_id=membership.user_id,
        by=by, request=request)


def membership_saved(*, membership: Membership, before: dict | None, by: User | None,
                     request=None) -> None:
    """Announce (schools.signals.membership_changed) what saving `membership`
    granted or revoked, given `before` from `membership_state` taken before the
    save: a revoke of the old role and/or a grant of the new one; nothing if
    the role it grants did not change. Call inside the saving transaction."""
    old, new = _held(before), _held(membership)
    if old == new:
        return
    if old is not None:
        _announce(membership.pk, membership, "revoke", old, by, request)
    if new is not None:
        _announce(membership.pk, membership, "grant", new, by, request)


def membership_deleted(*, membership: Membership, membership_id: int, by: User | None,
                       request=None) -> None:
    """Announce the revoke of what the deleted `membership` (pk `membership_id`
    before the delete) granted, if it was active."""
    held = _held(membership)
    if held is not None:
        _announce(membership_id, membership, "revoke", held, by, request)


@transaction.atomic
def membership_designate(*, school: School, user: User, role: str, held: bool,
                         by: User | None, request=None) -> bool:
    """Give `user` the designation `role` at `school` (held=True) or take it
    away (held=False): a designation (强制报告负责人, issue 10) is a second
    membership beside the person's own role there. Taking it away
    deactivates the membership (its history stays); giving it again
    reactivates it. Announced as a role grant or revoke (audit), by `by`.
    Returns whether anything changed. Raises ValidationError when `user`
    holds no other active role at `school` — only the school's own staff can
    be designated. The caller checks that `by` may designate."""
    if held and not Membership.objects.active().filter(school=school, user=user).exclude(
            role=role).exists():
        raise ValidationError(_("Only a member of the school's staff can be designated."))
    membership = Membership.objects.select_for_update().filter(
        school=school, user=user, role=role).first()
    if membership is None:
        if not held:
            return False
        membership = Membership(school=school, user=user, role=role, is_active=True)
    elif membership.is_active == held:
        return False
    before = membership_state(membership)
    membership.is_active = held
    membership.save()
    membership_saved(membership=membership, before=before, by=by, request=request)
    return True


def password_set_by(*, user: User, by: User | None, request=None) -> None:
    """Announce (schools.signals.password_changed) that `by` set `user`'s
    password through a page: their own (a change) or another's (a reset)."""
    password_changed.send(sender=User, user=user, by=by, request=request)


def pupil_counts_exported(*, bureau, school_type: str, by: User, request=None) -> None:
    """Announce ("export.pupil_counts") that `by` downloaded the bureau's
    priority-group counts (counts only, suppressed), with the school-type
    filter ("" for all)."""
    business_action.send(sender=None, code="export.pupil_counts", by=by, obj=bureau,
                         request=request,
                         extra={"filters": f"school_type={school_type}" if school_type else "",
                                "kind": "pupil_counts"})
