import pytest

from notifications import kinds
from notifications.kinds import NoticeKind


def test_reporting_registers_its_four_kinds_under_their_stored_names():
    names = {k.name for k in kinds.all_kinds()}
    assert {"reminder", "overdue", "returned", "digest"} <= names
    assert kinds.get("overdue").subject_type == "reporting.deadline_school"
    assert kinds.get("digest").subject_type is None


def test_an_unknown_kind_raises():
    with pytest.raises(LookupError, match="unknown notice kind 'sms'"):
        kinds.get("sms")
    assert kinds.label_of("sms") == "sms"  # an old row of a kind nobody registers any more


def test_two_apps_cannot_share_a_kind_name():
    with pytest.raises(ValueError, match="already registered"):
        kinds.register(NoticeKind(name="overdue", label="x", template_prefix="emails/x"))


@pytest.mark.parametrize("fields", [
    {"context_keys": {"path": (str,)}},  # always there; never declared
    {"context_keys": {"pupil": (object,)}},  # not a JSON type
    {"required": frozenset({"school_name"})},  # required but undeclared
    {"group": True, "group_wording": "%(school_name)s", "group_keys": frozenset({"x"})},
    {"group": True, "context_keys": {"school_name": (str,)},
     "group_keys": frozenset({"school_name"})},  # no wording
])
def test_a_kind_that_contradicts_itself_is_refused(fields):
    with pytest.raises(ValueError, match="test_kind"):
        NoticeKind(name="test_kind", label="x", template_prefix="emails/x", **fields)


def test_a_kind_is_registered_once_and_can_be_removed():
    kind = NoticeKind(name="test_once", label="x", template_prefix="emails/x")
    try:
        assert kinds.register(kind) is kind
        assert kinds.register(kind) is kind  # a module imported twice: no error
        assert kinds.get("test_once") is kind
    finally:
        kinds.unregister("test_once")
    with pytest.raises(LookupError):
        kinds.get("test_once")
