"""attendance's words on the audit trail (found by core.discovery). Rows carry
ids only: never a pupil's name or the reason for a leave."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register

REGISTER_TAKE = register("register.take", _("Take a class register"))
REGISTER_CORRECT = register("register.correct", _("Correct a class register"))
REGISTER_ALLOW_KEEPER = register("register.allow_keeper",
                                 _("Allow a teacher to keep a class register"))
REGISTER_REMOVE_KEEPER = register("register.remove_keeper",
                                  _("Take back a teacher's class register"))
ABSENCE_CONTACT = register("absence.contact",
                           _("Record a contact with an absent pupil's guardians"))
