"""incidents' notice kinds (found by core.discovery). Every one says the same
thing — "a record of <school> needs your attention" with a link — whatever
the record is: a concern, an overdue police report, a referral to review.
Never a child's name, what was seen, a situation or a state (issue 10 item
6; architecture.md "Notices, exactly once"). None goes to group robots.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications.kinds import NoticeKind, register

CONCERN_SUBJECT = "incidents.concern"
REFERRAL_SUBJECT = "incidents.referral"
_KEYS = {"school_name": (str,)}
_REQUIRED = frozenset({"school_name"})
_TEMPLATE = "emails/incidents_attention"

# A concern was logged: to the school's leads and principal at once.
CONCERN_LOGGED = register(NoticeKind(
    name="incidents.concern", label=_("A concern needs attention"), template_prefix=_TEMPLATE,
    context_keys=_KEYS, required=_REQUIRED, subject_type=CONCERN_SUBJECT))
# The police report is not recorded within the bureau's limit.
POLICE_OVERDUE = register(NoticeKind(
    name="incidents.police_overdue", label=_("A report to the police is overdue"),
    template_prefix=_TEMPLATE, context_keys=_KEYS, required=_REQUIRED,
    subject_type=CONCERN_SUBJECT))
# A referral has been cooperating for the review period.
REVIEW_DUE = register(NoticeKind(
    name="incidents.review", label=_("A referral is due for review"),
    template_prefix=_TEMPLATE, context_keys=_KEYS, required=_REQUIRED,
    subject_type=REFERRAL_SUBJECT))
