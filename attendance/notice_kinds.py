"""attendance's notice kinds (found by core.discovery): "a record of
<school> needs your attention" and a link — never a pupil's name, a class's
absences or a reason (architecture.md "Notices, exactly once")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications.kinds import NoticeKind, register

# A pupil absent without leave on one register: "<register id>:<pupil code>".
ABSENCE_SUBJECT = "attendance.absence"

CONTACT_DUE = register(NoticeKind(
    name="attendance.contact", label=_("A guardian contact is due"),
    template_prefix="emails/incidents_attention", context_keys={"school_name": (str,)},
    required=frozenset({"school_name"}), subject_type=ABSENCE_SUBJECT))
