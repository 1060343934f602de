"""audit.actions: the vocabulary, and audit_record refusing what is not in it."""

import pytest

from audit import actions
from audit.models import AuditEvent
from audit.services import audit_record, describe

pytestmark = pytest.mark.django_db


def test_infrastructure_and_domain_codes_are_registered_with_chinese_labels(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    codes = dict(actions.choices())
    for code in ("record.view", "record.export", "record.print", "access.denied",
                 "role.grant", "role.revoke", "password.reset", "device.reset",
                 "export.download", "report.submit", "report.return", "report.approve",
                 "report.withdraw", "deadline.move", "bulletin.publish"):
        assert code in codes


def test_a_domain_maps_its_transitions_through_its_audit_actions_module():
    assert actions.for_transition("reporting.progressreport", "submit") == "report.submit"
    assert actions.for_transition("plugin_app.hazard", "finish") == "hazard.fix"
    assert actions.for_transition("plugin_app.hazard", "start") == "plugin_app.hazard.start"


def test_an_unknown_action_code_is_refused_and_nothing_is_written(world):
    with pytest.raises(actions.UnknownAction):
        audit_record(user=world.principal, action="report.submitt", target="x")
    with pytest.raises(actions.UnknownAction):
        actions.for_transition("plugin_app.hazard", "explode")
    assert not AuditEvent.objects.exists()


def test_extra_holds_only_the_fixed_keys(world):
    with pytest.raises(ValueError, match="name"):
        audit_record(user=world.principal, action="record.view", extra={"name": "张三"})


def test_a_code_registered_twice_with_another_label_is_an_error():
    actions.register("record.view", actions.RECORD_VIEW.label)  # the same: harmless
    with pytest.raises(ValueError, match="twice"):
        actions.register("record.view", "something else")
    with pytest.raises(ValueError, match="domain.verb"):
        actions.register("nodot", "x")


def test_a_record_is_described_by_label_public_code_and_school(world):
    from tests.reporting.factories import ProgressReportFactory

    report = ProgressReportFactory(school=world.school_a)
    assert describe(report) == ("reporting.progressreport", str(report.code), world.school_a.pk)
    assert describe(world.school_b) == ("schools.school", world.school_b.code,
                                        world.school_b.pk)
    assert describe(world.principal) == ("schools.user", str(world.principal.pk), None)


def test_an_old_code_is_shown_as_it_is():
    assert actions.label("denied:http") == "denied:http"
