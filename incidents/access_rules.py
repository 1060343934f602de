"""incidents' access rules: concerns and mandatory-reporting referrals (issue
10 item 6). Discovered by schools.access; models are named by label.

- Any member of a school's staff logs a concern about a child of that school,
  and reads back the ones they logged, with their state (LoggedConcern).
- The referrals of a school are its mandatory-reporting leads' (强制报告负责人,
  a designation the principal gives) and the principal's: they open, manage
  and read them. Nobody else at the school knows one exists (a 404).
- The bureau's named child-protection officers read their schools' referrals,
  with the child's name, to cooperate with the police; they change nothing.
- Inspectors, the bureau admin and the officers see the bureau view: counts
  only, suppressed (incidents.counts), and which schools filed their monthly
  dispute-screening returns (incidents.disputes).
- Bullying cases (学生欺凌) are the leads' and the principal's, as referrals
  are; the counselor reaches a case's psychological support (BullyingSupport)
  and nothing else of it; the head teacher of a pupil involved (of a class
  they lead) sees the case's state and their own tasks (BullyingParty).
- A school's principal and safety officer file its monthly dispute-screening
  return (矛盾纠纷排查) and keep its disputes' mediation up to date; the bureau
  admin sets the day of the month it is due.
None of these models is in the admin: referrals are worked in the portal only.
"""

from schools.access import Perm, PupilScope, SchoolScope
from schools.models import Role


class IncidentsPerm(Perm):
    LOG_CONCERN = "incidents.log_concern"
    VIEW_REFERRAL = "incidents.view_referral"
    MANAGE_REFERRAL = "incidents.manage_referral"
    DESIGNATE_LEAD = "incidents.designate_lead"
    VIEW_COUNTS = "incidents.view_counts"
    FILE_DISPUTES = "incidents.file_disputes"
    VIEW_BULLYING = "incidents.view_bullying"
    MANAGE_BULLYING = "incidents.manage_bullying"
    SUPPORT_BULLYING = "incidents.support_bullying"
    VIEW_BULLYING_STATUS = "incidents.view_bullying_status"
    SET_DISPUTE_DAY = "incidents.set_dispute_day"


_LEADS = {Role.PRINCIPAL, Role.REPORTING_LEAD}

SCHOOL_RULES = {
    IncidentsPerm.LOG_CONCERN: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER,
                                Role.COUNSELOR, Role.STAFF, Role.REPORTING_LEAD},
    IncidentsPerm.VIEW_REFERRAL: _LEADS,
    IncidentsPerm.MANAGE_REFERRAL: _LEADS,
    # The principal names the school's mandatory-reporting leads (the bureau
    # admin can also place the role in the admin).
    IncidentsPerm.DESIGNATE_LEAD: {Role.PRINCIPAL},
    IncidentsPerm.FILE_DISPUTES: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
    # Bullying cases: the same named people as referrals open and work them;
    # the counselor reaches the psychological support only; a head teacher
    # (class-bound: the pupils of the classes they lead) the status and
    # their own tasks, never the investigation.
    IncidentsPerm.VIEW_BULLYING: _LEADS,
    IncidentsPerm.MANAGE_BULLYING: _LEADS,
    IncidentsPerm.SUPPORT_BULLYING: {Role.COUNSELOR, *_LEADS},
    IncidentsPerm.VIEW_BULLYING_STATUS: {Role.HEAD_TEACHER, *_LEADS},
}
BUREAU_RULES = {
    IncidentsPerm.VIEW_REFERRAL: {Role.PROTECTION_OFFICER},
    # The bureau view (issue 10 item 7): suppressed counts, never a child.
    IncidentsPerm.VIEW_COUNTS: {Role.BUREAU_ADMIN, Role.INSPECTOR, Role.PROTECTION_OFFICER},
    IncidentsPerm.SET_DISPUTE_DAY: {Role.BUREAU_ADMIN},
}

RECORD_SCOPES = {
    "incidents.referral": SchoolScope("school", seen_with=IncidentsPerm.VIEW_REFERRAL),
    "incidents.concern": SchoolScope("school", seen_with=IncidentsPerm.VIEW_REFERRAL),
    "incidents.referralattachment": SchoolScope("referral__school",
                                                seen_with=IncidentsPerm.VIEW_REFERRAL),
    # The logger's own read-back: the school's staff, narrowed by the page to
    # the concerns `logged_by` them; nobody reads another's through it.
    "incidents.loggedconcern": SchoolScope("school", seen_with=IncidentsPerm.LOG_CONCERN),
    "incidents.disputereturn": SchoolScope("school", seen_with=IncidentsPerm.FILE_DISPUTES),
    "incidents.dispute": SchoolScope("school", seen_with=IncidentsPerm.FILE_DISPUTES),
    "incidents.bullyingcase": SchoolScope("school", seen_with=IncidentsPerm.VIEW_BULLYING),
    "incidents.bullyingsupport": SchoolScope("school",
                                             seen_with=IncidentsPerm.SUPPORT_BULLYING),
    # A head teacher reaches a case through a pupil of theirs involved in it.
    "incidents.bullyingparty": PupilScope("pupil"),
}
