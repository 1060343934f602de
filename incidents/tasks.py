"""incidents' Celery tasks: thin, they call the services."""

from celery import shared_task


@shared_task(name="incidents.arm_dispute_returns", ignore_result=True)
def arm_dispute_returns() -> dict:
    """Open the dispute-return follow-ups of the current and the previous
    month that are missing (idempotent; incidents.disputes)."""
    from .disputes import arm_dispute_returns as arm

    return {"opened": arm()}


@shared_task(name="incidents.recount_tallies", ignore_result=True)
def recount_tallies() -> dict:
    """Recount the bureau view's tallies of every bureau and year from the
    records and repair the wrong rows (logged as a warning: there should be
    none; incidents.tallies)."""
    from .tallies import recount_all

    years, wrong = recount_all()
    return {"years": years, "wrong": wrong}
