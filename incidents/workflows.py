"""The lifecycle of a referral, declared as data (core.workflows; domain.md §1):

DETECTED → REPORTED (a report to a department is recorded) → ACCEPTED (the
police accepted the case, 受理) → COOPERATING (the school cooperates with the
investigation) → CLOSED (an outcome is required). A referral may also be
closed from any open state with an outcome (the police did not file a case,
the concern proved unfounded); nothing leaves CLOSED. Only the school's
mandatory-reporting leads and the principal move it (incidents.manage_referral).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.workflows import Transition, Workflow
from schools import access

from .access_rules import IncidentsPerm
from .models import (
    BullyingCase,
    BullyingState,
    BullyingTransition,
    Dispute,
    DisputeTransition,
    MediationStatus,
    Referral,
    ReferralState,
    ReferralTransition,
)

S = ReferralState
_OPEN = {S.DETECTED, S.REPORTED, S.ACCEPTED, S.COOPERATING}

REFERRAL = Workflow(
    model=Referral, state_field="state", authorize=access.allows,
    record_model=ReferralTransition, subject_field="referral",
    transitions=[
        Transition("report", sources={S.DETECTED}, target=S.REPORTED,
                   permission=IncidentsPerm.MANAGE_REFERRAL,
                   refused=_("This referral has already been reported.")),
        Transition("accept", sources={S.REPORTED}, target=S.ACCEPTED,
                   permission=IncidentsPerm.MANAGE_REFERRAL,
                   refused=_("Only a reported referral can be accepted.")),
        Transition("cooperate", sources={S.REPORTED, S.ACCEPTED}, target=S.COOPERATING,
                   permission=IncidentsPerm.MANAGE_REFERRAL,
                   refused=_("Only a reported referral can move to cooperation.")),
        Transition("close", sources=_OPEN, target=S.CLOSED,
                   permission=IncidentsPerm.MANAGE_REFERRAL, reason_required=True,
                   refused=_("This referral is already closed."),
                   reason_missing=_("Give the outcome.")),
    ],
)


# A dispute found in the monthly screening (矛盾纠纷排查): being mediated
# (调处中) until it is resolved (已化解) or transferred (已移交) to another body
# (the township's mediation committee, the police); nothing leaves either.
# The school's principal and safety officer move it (incidents.file_disputes).
M = MediationStatus
DISPUTE = Workflow(
    model=Dispute, state_field="status", authorize=access.allows,
    record_model=DisputeTransition, subject_field="dispute",
    transitions=[
        Transition("resolve", sources={M.MEDIATING}, target=M.RESOLVED,
                   permission=IncidentsPerm.FILE_DISPUTES,
                   refused=_("Only a dispute being mediated can be resolved.")),
        Transition("transfer", sources={M.MEDIATING}, target=M.TRANSFERRED,
                   permission=IncidentsPerm.FILE_DISPUTES,
                   refused=_("Only a dispute being mediated can be transferred.")),
    ],
)


# A bullying case (domain.md §2d): REPORTED → INVESTIGATING (once stopped and
# made safe; the 10-day clock) → DECIDED (the committee's finding) →
# FOLLOW_UP → CLOSED (an outcome). A guardian's appeal to the county office
# takes a decided case to APPEALED (the 15-day re-check), whose result leads
# to FOLLOW_UP. A case found not to be bullying may be closed once decided.
# Only the school's leads and the principal move it (incidents.manage_bullying).
B = BullyingState
BULLYING = Workflow(
    model=BullyingCase, state_field="state", authorize=access.allows,
    record_model=BullyingTransition, subject_field="case",
    transitions=[
        Transition("investigate", sources={B.REPORTED}, target=B.INVESTIGATING,
                   permission=IncidentsPerm.MANAGE_BULLYING,
                   refused=_("The investigation has already started.")),
        Transition("decide", sources={B.INVESTIGATING}, target=B.DECIDED,
                   permission=IncidentsPerm.MANAGE_BULLYING,
                   refused=_("Only a case under investigation can be decided.")),
        Transition("appeal", sources={B.DECIDED, B.FOLLOW_UP}, target=B.APPEALED,
                   permission=IncidentsPerm.MANAGE_BULLYING,
                   refused=_("Only a decided case can be appealed.")),
        Transition("recheck", sources={B.APPEALED}, target=B.FOLLOW_UP,
                   permission=IncidentsPerm.MANAGE_BULLYING, reason_required=True,
                   refused=_("Only a case under re-check can take its result."),
                   reason_missing=_("Give the re-check's result.")),
        Transition("follow_up", sources={B.DECIDED}, target=B.FOLLOW_UP,
                   permission=IncidentsPerm.MANAGE_BULLYING,
                   refused=_("Only a decided case moves to follow-up.")),
        Transition("close", sources={B.DECIDED, B.FOLLOW_UP}, target=B.CLOSED,
                   permission=IncidentsPerm.MANAGE_BULLYING, reason_required=True,
                   refused=_("Only a decided case can be closed."),
                   reason_missing=_("Give the outcome.")),
    ],
)
