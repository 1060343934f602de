"""What schools tells the rest of the house about its people. schools imports no
other app, so audit listens to these instead of being called (the access layer's
own signals are in access/signals.py).

``membership_changed``: sent after a role is granted or revoked (a Membership
created active, re-activated, deactivated, deleted, or given another role),
with sender=Membership and the keywords membership (the instance; after a
delete it has no pk but keeps membership_id), membership_id, change ("grant" or
"revoke"), role (the role granted or revoked), school_id, bureau_id,
user_id (whose role), by (who did it) and request (or None).

``password_changed``: sent after a password was set through a page, with
sender=User and the keywords user (whose password), by (who set it: the same
person for a change, an administrator for a reset) and request.
"""

from django.dispatch import Signal

membership_changed = Signal()
password_changed = Signal()
