"""Business actions on schools and their people. Views, admin actions and
commands call these; none of them writes these models directly."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership, School, TaskForceMember, User
from .signals import membership_changed, password_changed


def task_force_check_eligible(*, school: School, user: User) -> None:
    """Only people who hold an active role at the school may join its task force."""
    if not Membership.objects.active().filter(school=school, user=user).exists():
        raise ValidationError({"user": _("This person has no active role at this school.")})


@transaction.atomic
def task_force_add_member(
    *, school: School, user: User, duty: str = "", is_leader: bool = False
) -> TaskForceMember:
    """Put a member of the school's staff on its task force (工作专班).

    Only people who hold an active role at the school may join. Naming a new
    leader steps the previous leader down, in the same transaction.
    """
    task_force_check_eligible(school=school, user=user)
    if TaskForceMember.objects.filter(school=school, user=user).exists():
        raise ValidationError({"user": _("This person is already on the task force.")})
    if is_leader:
        TaskForceMember.objects.filter(school=school, is_leader=True).update(is_leader=False)
    member = TaskForceMember(school=school, user=user, duty=duty.strip(), is_leader=is_leader)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def task_force_remove_member(*, school: School, member_id: int) -> None:
    deleted, _rows = TaskForceMember.objects.filter(school=school, pk=member_id).delete()
    if not deleted:
        raise TaskForceMember.DoesNotExist


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


def password_set_by(*, user: User, by: User | None, request=None) -> None:
    """Announce (schools.signals.password_changed) that `by` set `user`'s
    password through a page: their own (a change) or another's (a reset)."""
    password_changed.send(sender=User, user=user, by=by, request=request)
