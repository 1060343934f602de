"""Many sensitive reads at once (a roster exported): one access_granted from
schools.access.record_sensitive_reads, one audit row per record, one INSERT."""

import uuid

import pytest

from audit import services
from audit.models import AuditEvent
from schools import access


@pytest.fixture
def request_of(rf):
    def make(user):
        request = rf.get("/schools/1/pupils/export/", REMOTE_ADDR="10.1.2.3")
        request.user = user
        return request
    return make


def test_one_signal_for_many_records_writes_a_row_each_in_one_insert(
        world, request_of, django_assert_num_queries):
    codes = [uuid.uuid4() for _ in range(25)]
    request = request_of(world.principal)
    with django_assert_num_queries(1):
        sent = access.record_sensitive_reads(request, "schools.pupil", codes, "export",
                                             "schools.manage_roster",
                                             school_id=world.school_a.pk)
    assert sent == 25
    rows = AuditEvent.objects.filter(action="record.export")
    assert sorted(r.target_code for r in rows) == sorted(str(c) for c in codes)
    for row in rows:
        assert (row.username, row.target_type, row.school_id, row.ip, row.outcome,
                row.status, row.extra) == (
            "a-principal", "schools.pupil", world.school_a.pk, "10.1.2.3", "allowed", 200,
            {"permission": "schools.manage_roster"})


def test_no_codes_send_nothing(world, request_of):
    assert access.record_sensitive_reads(request_of(world.principal), "schools.pupil", [],
                                         "export", "schools.manage_roster") == 0
    assert not AuditEvent.objects.exists()


def test_a_single_code_is_also_named_in_target_code_for_older_receivers(world, request_of):
    seen = []

    def receiver(sender, target_code, target_codes, **kwargs):
        seen.append((target_code, target_codes))

    access.access_granted.connect(receiver)
    try:
        access.record_sensitive_reads(request_of(world.principal), "schools.school",
                                      [world.school_a.code], "view", "schools.view_pupil")
    finally:
        access.access_granted.disconnect(receiver)
    assert seen == [(world.school_a.code, [world.school_a.code])]
    assert AuditEvent.objects.get().target_code == world.school_a.code


def test_the_bulk_path_refuses_an_unregistered_action_and_foreign_extra_keys(world):
    from audit.actions import UnknownAction

    with pytest.raises(UnknownAction):
        services.audit_record_many(user=world.principal, action="record.nonsense",
                                   target_type="schools.pupil", target_codes=["x"])
    with pytest.raises(ValueError, match="name"):
        services.audit_record_many(user=world.principal, action="record.export",
                                   target_type="schools.pupil", target_codes=["x"],
                                   extra={"name": "张三"})
    assert not AuditEvent.objects.exists()


def test_large_batches_are_split(world, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(services, "BULK_BATCH", 10)
    with django_assert_num_queries(3):
        written = services.audit_record_many(
            user=world.principal, action="record.export", target_type="schools.pupil",
            target_codes=[str(n) for n in range(25)])
    assert written == 25
    assert AuditEvent.objects.count() == 25
