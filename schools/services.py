"""Business actions on schools and their people. Views, admin actions and
commands call these; none of them writes these models directly."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership, School, TaskForceMember, User


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
