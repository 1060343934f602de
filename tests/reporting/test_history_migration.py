"""The data migrations of issue 8 item 3 (schools 0004, reporting 0010): the
one move each deadline kept becomes a DeadlineMove row, schools get their
campaign period, and the tallies are counted again under the new rule."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE = [("schools", "0003_school_bureau_code_idx"), ("reporting", "0009_expectedschooltally")]
AFTER = [("schools", "0004_school_period"), ("reporting", "0010_history")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Every later test runs on the whole schema: migrate forward to every app's
    latest migration afterwards, not only to AFTER (later migrations, such as the
    bureau's 机关代字, would be missing for the tests that follow)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_old_rows_get_their_moves_and_periods():
    old = migrate(BEFORE)
    try:
        bureau = old.get_model("schools", "Bureau").objects.create(code="B", name="示例区")
        School = old.get_model("schools", "School")
        created = dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
        early = School.objects.create(bureau=bureau, code="S1", name="早", school_type="primary")
        late = School.objects.create(bureau=bureau, code="S2", name="晚", school_type="primary")
        closed = School.objects.create(bureau=bureau, code="S3", name="停", school_type="primary",
                                       is_open=False)
        School.objects.filter(pk=early.pk).update(created_at=created)
        School.objects.filter(pk=late.pk).update(
            created_at=dt.datetime(2026, 6, 2, 9, tzinfo=SHANGHAI))
        School.objects.filter(pk=closed.pk).update(
            created_at=created, updated_at=dt.datetime(2026, 7, 1, 9, tzinfo=SHANGHAI))
        admin = old.get_model("schools", "User").objects.create(username="ba")
        campaign = old.get_model("reporting", "Campaign").objects.create(
            bureau=bureau, name="行动", start_month=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 12, 31), school_types=["primary"])
        Deadline = old.get_model("reporting", "Deadline")
        moved = Deadline.objects.create(
            campaign=campaign, kind="progress", due_date=dt.date(2026, 6, 15),
            original_due_date=dt.date(2026, 6, 13), moved_reason="端午调休", moved_by=admin,
            moved_at=dt.datetime(2026, 6, 1, 9, tzinfo=SHANGHAI))
        Deadline.objects.create(campaign=campaign, kind="progress",
                                due_date=dt.date(2026, 5, 13),
                                original_due_date=dt.date(2026, 5, 13))
        old.get_model("reporting", "DeadlineTally").objects.create(
            deadline=moved, school_type="primary", submitted=7)
    finally:
        new = migrate(AFTER)

    School = new.get_model("schools", "School")
    periods = {s.code: (s.joined_on, s.closed_on) for s in School.objects.all()}
    assert periods == {
        "S1": (dt.date(2026, 5, 1), None),  # created before the campaign: its start
        "S2": (dt.date(2026, 6, 2), None),  # created after: its creation day
        "S3": (dt.date(2026, 5, 1), dt.date(2026, 7, 1)),  # closed at its last change
    }
    moves = list(new.get_model("reporting", "DeadlineMove").objects.values_list(
        "deadline_id", "old_date", "new_date", "reason", "moved_by_id"))
    assert moves == [(moved.pk, dt.date(2026, 6, 13), dt.date(2026, 6, 15), "端午调休",
                      admin.pk)]
    # Counted again, under the new rule, when first read.
    assert not new.get_model("reporting", "DeadlineTally").objects.exists()
