"""待办: anything due — a report by the 13th, a police report within hours, a
guardian call the same day, an interview today, a hazard fixed by a date.

Infrastructure: imports core, schools and notifications, never a domain app.
A domain registers its follow-up kinds (who must act, the escalation steps and
their wording) in `<app>/followup_kinds.py`, opens, completes and cancels
follow-ups from its services in its own transaction, and the one scan
(followups.scan, every minute) tells people through the notifications outbox.
"""
