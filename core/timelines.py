"""Timelines: what happened to a subject (a school today; a pupil when pupils
arrive), gathered from every app that has something to say about it.

An app contributes by declaring ``TIMELINE = [TimelineSource(...)]`` in
``<app>/timeline.py`` (found by core.discovery). A source answers for one
subject type ("schools.school", later "schools.pupil") and is given the person
asking: it returns only what that person may see (it asks the access layer),
so a page showing a timeline never filters anything itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .discovery import app_modules


@dataclass(frozen=True)
class Entry:
    """One line of a timeline: when (an aware datetime), what (a translated
    phrase, never a child's name unless the source's reader may see it), who did
    it (a display name or ""), and where to read more (a portal path or "")."""

    at: dt.datetime
    title: Any
    actor: str = ""
    link: str = ""
    source: str = ""


@dataclass(frozen=True)
class TimelineSource:
    """`entries(subject_code, user, limit)` returns at most `limit` Entry rows,
    newest first, that `user` may see; one or two queries whatever the size."""

    name: str
    subject_type: str
    entries: Callable[[str, Any, int], list[Entry]]


def entries_for(subject_type: str, subject_code: str, user, *, limit: int = 20) -> list[Entry]:
    """The newest `limit` entries about the subject from every app, newest
    first. Raises ValueError when two sources share a name."""
    sources = [s for module in app_modules("timeline") for s in module.TIMELINE
               if s.subject_type == subject_type]
    names = [s.name for s in sources]
    if len(names) != len(set(names)):
        raise ValueError(f"two timeline sources share a name: {sorted(names)}")
    entries = [e for s in sources for e in s.entries(str(subject_code), user, limit)]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
