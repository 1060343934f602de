"""The access layer: every "may this user see or do this" answer comes from here
(architecture.md "Access, one place").

- engine.py: the questions (`can`, `has_perm`, `get_for_user`, `allows`, …) over
  roles and grants; it knows no domain.
- rules.py: the `Perm` base, the scopes a record can have, and the rulebook
  merged from every app's ``access_rules`` module on first use.
- second_factor.py: who must show a second factor at sign-in, the step-up
  decorator for child-level pages, who may reset a device or grant a role.
- signals.py: `access_denied` and `access_granted`, which audit listens to.
- reads.py: `record_sensitive_reads`, one `access_granted` for many records.

Rule files: schools/access_rules.py (schools, the district, the admin site and
third-party admin models), audit/, notifications/ and reporting/access_rules.py.
"""

from .engine import *  # noqa: F403 - the public questions, see engine.__all__
from .engine import Perm  # noqa: F401 - the base every app's permissions extend
from .reads import record_sensitive_reads  # noqa: F401 - many reads, one signal
from .rules import (  # noqa: F401 - what rule files declare with
    BureauScope,
    OwnerScope,
    PupilScope,
    SchoolScope,
    admin_rule,
)
from .second_factor import *  # noqa: F403 - who must show a second factor, and when
from .signals import access_denied, access_granted  # noqa: F401
