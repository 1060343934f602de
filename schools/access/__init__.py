"""The access layer: every "may this user see or do this" answer comes from here
(architecture.md "Access, one place"). The engine is in engine.py; what it tells
the rest of the house is in signals.py."""

from .engine import *  # noqa: F403
from .engine import (  # noqa: F401 - the names other apps use
    ADMIN_MODEL_RULES,
    BUREAU_SCHOOL_RULES,
    GLOBAL_RULES,
    SCHOOL_RULES,
    Grants,
    Perm,
    admin_allows,
    admin_bureau_ids,
    can,
    can_manage_campaign,
    can_review_in_bureau,
    client_ip,
    deny,
    forget,
    get_school_for_user,
    grants,
    has_perm,
    is_active_user,
    is_bureau_user,
    require_perm,
    roles_at,
    school_roles_of,
    visible_school_ids_q,
)
from .signals import access_denied, access_granted  # noqa: F401
