"""What the access layer tells the rest of the house. schools imports no other
app, so audit listens to these instead of being called.

``access_denied``: sent by ``deny`` on every refused access, with sender=None
and the keywords request, user, perm, target (a short reference such as
"progressreport:<uuid>", never a name), status (403 or 404), and, when the
refusal is about a record (``get_for_user``), target_type (the model label,
e.g. "reporting.progressreport"), target_code (the lookup value as text, e.g.
the code or pk asked for) and school_id (the record's school: only for a 403,
when the record was found and is visible; a 404 must not reveal whose a record
is, so it carries none). Those three are "" / None for other refusals (a
global perm, a page): receivers must accept them missing.

``access_granted``: sent by ``get_for_user(..., sensitive=True)`` when a
*sensitive* record (a child-level record: a referral, a screening result, a
pupil's circumstances) is opened, exported or printed, with sender=None and
request, user, perm, target_type (the model label, e.g. "incidents.referral"),
target_code (its public code) and action ("view", "export", "print"). audit
turns it into an ALLOWED row (security.md G4). `record_sensitive_reads` sends
it once for many records of one type (a roster listed or exported) with the
extra keyword target_codes (a list of str; target_code is then "" unless there
is one): audit writes one row per code, in one insert. Receivers must accept
target_codes missing.
"""

from django.dispatch import Signal

access_denied = Signal()
access_granted = Signal()
