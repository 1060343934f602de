"""incidents' notice kinds (found by core.discovery). Every one says the same
thing — "a record of <school> needs your attention" with a link — whatever
the record is: a concern, an overdue police report, a referral to review.
Never a child's name, what was seen, a situation or a state (issue 10 item
6; architecture.md "Notices, exactly once"). None goes to group robots.
"""

from __future__ import annotations

import datetime as dt

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


# The monthly dispute-screening return (矛盾纠纷排查): a school-level record,
# not a child's, so the wording names the school, the month and the due day
# — still never a dispute, a party or a count.
DISPUTE_SUBJECT = "incidents.dispute_return"
_DISPUTE_KEYS = {"school_name": (str,), "month": (str,), "due_date": (str,)}
_DISPUTE_REQUIRED = frozenset(_DISPUTE_KEYS)


def prepare_dispute_context(context: dict) -> dict:
    """The stored "due_date" (YYYY-MM-DD) as a date and "month" (YYYY-MM) as
    the month's first day, for the templates' |date. Raises ValueError for
    anything else."""
    try:
        if "due_date" in context:
            context["due_date"] = dt.date.fromisoformat(context["due_date"])
        if "month" in context:
            context["month"] = dt.date.fromisoformat(f"{context['month']}-01")
    except ValueError:
        raise ValueError("'due_date' must be YYYY-MM-DD and 'month' YYYY-MM") from None
    return context


# The morning of the day the return is due, if it is not filed yet.
DISPUTE_REMINDER = register(NoticeKind(
    name="incidents.dispute_reminder", label=_("A dispute-screening return is due"),
    template_prefix="emails/dispute_reminder", context_keys=_DISPUTE_KEYS,
    required=_DISPUTE_REQUIRED, subject_type=DISPUTE_SUBJECT,
    preparer=prepare_dispute_context))
# The morning after, if it is still not filed.
DISPUTE_OVERDUE = register(NoticeKind(
    name="incidents.dispute_overdue", label=_("A dispute-screening return is overdue"),
    template_prefix="emails/dispute_overdue", context_keys=_DISPUTE_KEYS,
    required=_DISPUTE_REQUIRED, subject_type=DISPUTE_SUBJECT,
    preparer=prepare_dispute_context))


# Bullying cases: the same words as every child-level record ("a record of
# <school> needs your attention" and a link). Subject: the case (a visit's
# follow-up: "<case code>:<n>").
BULLYING_SUBJECT = "incidents.bullyingcase"
BULLYING_DUE = register(NoticeKind(
    name="incidents.bullying", label=_("A bullying case needs attention"),
    template_prefix=_TEMPLATE, context_keys=_KEYS, required=_REQUIRED,
    subject_type=BULLYING_SUBJECT))
