"""Notice kinds: each app teaches the outbox its own vocabulary by registering here.

notifications knows no domain (architecture.md "Notices, exactly once"). An app
adds a ``notice_kinds.py`` module that calls ``register(NoticeKind(...))``;
``core.discovery`` finds those modules and NotificationsConfig.ready() imports
them (``autodiscover()``). A kind says:

- its stored ``name`` (Notice.kind; never rename one that has rows) and a ``label``;
- its e-mail templates: ``<template_prefix>_subject.txt``, ``<template_prefix>.txt``
  and ``<template_prefix>.html`` (None: the kind is never e-mailed, group only);
- the context keys its wording may use, each with the JSON types its value may
  have (``path``, the relative link into the portal, is always allowed and always
  required), and which of them are required;
- ``subject_type``: the model label of what the notice is about (for cancellation,
  see services.notice_cancel_for), or None when a notice is about nothing in
  particular (a digest);
- whether the school's group robot hears of it (``group``), the wording there
  (``group_wording``, a %-format string over ``group_keys``) and the whitelist of
  context keys that wording may show (``group_keys``). A group message is built
  from that whitelist and nothing else, because a group chat is read by people
  who are not the recipient (security.md G5, ASVS 2.2.3);
- an optional ``preparer``: a function from the stored (cleaned) context to the
  display values the templates see, e.g. an ISO date string to a ``date``. It runs
  at enqueue too, so a value it cannot prepare is refused there (ValueError).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# The one key every kind has: the relative link into the portal.
PATH_KEY = "path"
# The JSON types a context value may have (dates are stored as ISO strings; a
# list holds at most MAX_LIST_ITEMS short strings, e.g. codes).
JSON_TYPES: tuple[type, ...] = (str, int, float, bool, list)
MAX_LIST_ITEMS = 10
MAX_LIST_ITEM_CHARS = 40

Preparer = Callable[[dict], dict]


@dataclass(frozen=True)
class NoticeKind:
    name: str
    label: object  # gettext_lazy(...) — shown on the notices page and in the admin
    template_prefix: str | None  # "emails/overdue" -> emails/overdue{_subject.txt,.txt,.html}
    context_keys: Mapping[str, tuple[type, ...]] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    subject_type: str | None = None  # a model label, e.g. "reporting.progressreport"
    group: bool = False
    group_wording: object = ""  # gettext_lazy("%(school_name)s: ...") over group_keys
    group_keys: frozenset[str] = frozenset()
    preparer: Preparer | None = None

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 40:
            raise ValueError("a notice kind's name must have 1 to 40 characters")
        for key, types in self.context_keys.items():
            if key == PATH_KEY:
                raise ValueError(f"kind {self.name!r}: 'path' is always declared, do not list it")
            if not types or not all(t in JSON_TYPES for t in types):
                raise ValueError(f"kind {self.name!r}: {key!r} must have JSON types {JSON_TYPES}")
        unknown = set(self.required) - set(self.context_keys)
        if unknown:
            raise ValueError(f"kind {self.name!r} requires undeclared keys {sorted(unknown)}")
        if self.group:
            stray = set(self.group_keys) - set(self.context_keys)
            if stray:
                raise ValueError(f"kind {self.name!r}: group keys {sorted(stray)} are undeclared")
            if not self.group_wording:
                raise ValueError(f"kind {self.name!r} goes to groups but has no group wording")

    def allowed_types(self, key: str) -> tuple[type, ...] | None:
        """The JSON types `key` may have in this kind's context, None if not allowed."""
        return (str,) if key == PATH_KEY else self.context_keys.get(key)

    def prepare(self, context: Mapping[str, object]) -> dict:
        """Display values from a cleaned context: only the declared keys, passed
        through the kind's preparer. Raises ValueError for a value it cannot read."""
        declared = {k: v for k, v in context.items() if self.allowed_types(k) is not None}
        return dict(self.preparer(dict(declared))) if self.preparer else declared


_registry: dict[str, NoticeKind] = {}
_lock = threading.Lock()
_discovered = False


def register(kind: NoticeKind) -> NoticeKind:
    """Add `kind`; registering the same definition again is a no-op.

    Raises ValueError when another kind already has that name (two apps must not
    share a stored name: the rows could not tell them apart).
    """
    with _lock:
        existing = _registry.get(kind.name)
        if existing is not None and existing != kind:
            raise ValueError(f"notice kind {kind.name!r} is already registered")
        _registry[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests only: a production kind with rows must stay)."""
    with _lock:
        _registry.pop(name, None)


def get(name: str) -> NoticeKind:
    """The registered kind `name`. Raises LookupError for an unknown kind."""
    autodiscover()
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"unknown notice kind {name!r}; is it registered?") from None


def label_of(name: str) -> str:
    """The kind's label, or the stored name for a kind no app registers any more."""
    autodiscover()
    kind = _registry.get(name)
    return str(kind.label) if kind else name


def all_kinds() -> list[NoticeKind]:
    autodiscover()
    return sorted(_registry.values(), key=lambda k: k.name)


def autodiscover() -> None:
    """Import every installed app's ``notice_kinds`` module once (thread-safe)."""
    global _discovered
    if _discovered:
        return
    from core.discovery import app_modules

    with _lock:
        if _discovered:
            return
        _discovered = True
    try:
        app_modules("notice_kinds")
    except Exception:
        _discovered = False
        raise
