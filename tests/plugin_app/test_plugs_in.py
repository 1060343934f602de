"""A new domain plugs into the access engine by adding a rule file
(tests/plugin_app/access_rules.py): get_for_user, allows and the audit of
sensitive opens answer for Hazard with no edit to schools/access/."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from audit.models import AuditEvent
from core.workflows import Transition, Workflow
from schools import access
from tests.plugin_app.access_rules import HazardPerm
from tests.plugin_app.models import Hazard, HazardTransition

pytestmark = pytest.mark.django_db

S = Hazard.Status
HAZARD_WORKFLOW = Workflow(
    model=Hazard, record_model=HazardTransition, subject_field="hazard",
    authorize=access.allows,
    transitions=[Transition("start", sources=[S.REPORTED], target=S.FIXING,
                            permission=HazardPerm.FIX_HAZARD)],
)


@pytest.fixture
def hazards(world):
    return {"own": Hazard.objects.create(school=world.school_a, title="松动的栏杆"),
            "other": Hazard.objects.create(school=world.school_c, title="漏电的插座")}


def request_by(rf, user):
    request = rf.get("/hazards/", REMOTE_ADDR="10.1.2.3")
    request.user = user
    return request


def test_a_hazard_of_the_users_school_is_found(world, rf, hazards):
    got = access.get_for_user(request_by(rf, world.head_teacher), Hazard.objects,
                              HazardPerm.VIEW_HAZARD, code=hazards["own"].code)
    assert got == hazards["own"]


def test_a_hazard_of_another_school_is_a_404(world, rf, hazards):
    with pytest.raises(Http404):
        access.get_for_user(request_by(rf, world.principal), Hazard.objects,
                            HazardPerm.VIEW_HAZARD, code=hazards["other"].code)
    row = AuditEvent.objects.get()
    assert (row.outcome, row.status, row.target) == (
        "denied", 404, f"hazard:{hazards['other'].code}")


def test_a_role_without_the_perm_is_a_403(world, rf, hazards):
    with pytest.raises(PermissionDenied):
        access.get_for_user(request_by(rf, world.head_teacher), Hazard.objects,
                            HazardPerm.FIX_HAZARD, code=hazards["own"].code)
    assert AuditEvent.objects.get().status == 403


def test_the_bureau_sees_its_districts_hazards_and_not_the_next_one(world, rf, hazards):
    request = request_by(rf, world.inspector)
    assert access.get_for_user(request, Hazard.objects, HazardPerm.VIEW_HAZARD,
                               code=hazards["own"].code) == hazards["own"]
    with pytest.raises(Http404):
        access.get_for_user(request, Hazard.objects, HazardPerm.VIEW_HAZARD,
                            code=hazards["other"].code)


def test_allows_answers_for_a_hazard(world, hazards):
    own = hazards["own"]
    assert access.allows(world.safety_officer, HazardPerm.FIX_HAZARD, own)
    assert not access.allows(world.head_teacher, HazardPerm.FIX_HAZARD, own)
    assert not access.allows(world.foreign_principal, HazardPerm.FIX_HAZARD, own)
    assert not access.allows(world.bureau_admin, HazardPerm.FIX_HAZARD, own)


def test_allows_is_a_workflows_authorize(world, hazards):
    own = hazards["own"]
    with transaction.atomic():
        for refused in (world.head_teacher, world.foreign_principal):
            with pytest.raises(PermissionDenied):
                HAZARD_WORKFLOW.apply(own, "start", by=refused)
        HAZARD_WORKFLOW.apply(own, "start", by=world.safety_officer)
    own.refresh_from_db()
    assert own.status == S.FIXING
    assert [t.name for t in HAZARD_WORKFLOW.available(own, world.principal)] == []


def test_a_sensitive_record_seen_but_not_acted_on_leaves_no_allowed_row(world, rf, hazards):
    with pytest.raises(PermissionDenied):
        access.get_for_user(request_by(rf, world.head_teacher), Hazard.objects,
                            HazardPerm.FIX_HAZARD, sensitive=True, code=hazards["own"].code)
    assert list(AuditEvent.objects.values_list("outcome", "status")) == [("denied", 403)]


def test_n_sensitive_opens_leave_exactly_n_allowed_rows(world, rf, hazards):
    own = hazards["own"]
    for _ in range(3):
        access.get_for_user(request_by(rf, world.principal), Hazard.objects,
                            HazardPerm.VIEW_HAZARD, sensitive=True, code=own.code)
    access.get_for_user(request_by(rf, world.principal), Hazard.objects,
                        HazardPerm.VIEW_HAZARD, sensitive=True, action="print", code=own.code)
    # Not sensitive: no row. Refused: a DENIED row, never an ALLOWED one.
    access.get_for_user(request_by(rf, world.principal), Hazard.objects,
                        HazardPerm.VIEW_HAZARD, code=own.code)
    with pytest.raises(Http404):
        access.get_for_user(request_by(rf, world.principal), Hazard.objects,
                            HazardPerm.VIEW_HAZARD, sensitive=True, code=hazards["other"].code)
    allowed = AuditEvent.objects.filter(outcome="allowed").order_by("id")
    assert [(e.username, e.action, e.target_type, e.target_code, e.extra["permission"], e.ip)
            for e in allowed] == [
        ("a-principal", "record.view", "plugin_app.hazard", str(own.code),
         "plugin_app.view_hazard", "10.1.2.3")] * 3 + [
        ("a-principal", "record.print", "plugin_app.hazard", str(own.code),
         "plugin_app.view_hazard", "10.1.2.3")]
    assert AuditEvent.objects.filter(outcome="denied").count() == 1


def test_the_engine_was_not_edited_to_know_hazards():
    from pathlib import Path

    package = Path(access.__file__).parent
    text = "".join(p.read_text() for p in package.glob("*.py"))
    assert "hazard" not in text.lower()
    assert "plugin_app" not in text
