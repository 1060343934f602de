"""audit's access rules: who reads the audit trail. Discovered by schools.access."""

from schools.access import Perm
from schools.models import Role


class AuditPerm(Perm):
    VIEW_AUDIT_LOG = "audit.view_audit_log"


GLOBAL_RULES = {
    # The auditor reads the audit log and nothing else; nobody else reads it, so
    # the people it watches cannot read (or learn to avoid) it.
    AuditPerm.VIEW_AUDIT_LOG: {Role.AUDITOR},
}
