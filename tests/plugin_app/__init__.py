"""A small domain app that lives only in the test suite ("hazards"): it proves
that a new domain plugs into the house — a workflow, follow-up kinds, notice
kinds, access rules, a timeline entry — by adding files, without editing
notifications, followups, audit or the access engine."""
