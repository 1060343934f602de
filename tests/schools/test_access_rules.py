"""The rulebook: merged from every app's access_rules module on first use, and
checked then."""

import types

import pytest
from django.core.exceptions import ImproperlyConfigured

from schools import access
from schools.access import Perm, SchoolScope, rules
from schools.models import Role


def rule_file(name: str, **tables) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in tables.items():
        if isinstance(value, type):
            value.__module__ = name
        setattr(module, key, value)
    return module


def ground(**extra):
    class GroundPerm(Perm):
        SEE = "ground.see"

    return rule_file("ground.access_rules", GroundPerm=GroundPerm,
                     SCHOOL_VISIBILITY=GroundPerm.SEE, **extra)


def test_every_installed_apps_rules_are_merged():
    book = rules.rulebook()
    assert {"schools.view_school", "reporting.view_report", "audit.view_audit_log",
            "plugin_app.view_hazard"} <= set(book.perms)
    assert "notifications.notice" in book.admin_models
    assert isinstance(book.scopes["reporting.reportphoto"], SchoolScope)


def test_the_rulebook_is_built_on_first_use_not_at_import(monkeypatch):
    calls = []
    real = rules.build
    monkeypatch.setattr(rules, "build", lambda modules: calls.append(1) or real(modules))
    rules.reset()
    try:
        assert calls == []
        access.perm("reporting.view_report")
        access.perm("schools.view_school")
        assert calls == [1]
    finally:
        rules.reset()


def test_a_permission_code_declared_twice_raises_at_load():
    class OnePerm(Perm):
        X = "shared.code"

    class OtherPerm(Perm):
        Y = "shared.code"

    with pytest.raises(ImproperlyConfigured, match="shared.code"):
        rules.build([ground(), rule_file("one.access_rules", OnePerm=OnePerm),
                     rule_file("other.access_rules", OtherPerm=OtherPerm)])


def test_a_rule_for_an_undeclared_permission_raises():
    with pytest.raises(ImproperlyConfigured, match="no rule file declares"):
        rules.build([ground(), rule_file("x.access_rules",
                                         SCHOOL_RULES={"x.nowhere": {Role.PRINCIPAL}})])


def test_two_admin_rows_for_one_model_raise():
    row = {"a.b": access.admin_rule()}
    with pytest.raises(ImproperlyConfigured, match="two ADMIN_MODEL_RULES"):
        rules.build([ground(ADMIN_MODEL_RULES=row), rule_file("x.access_rules",
                                                              ADMIN_MODEL_RULES=row)])


def test_someone_must_say_what_makes_a_school_visible():
    with pytest.raises(ImproperlyConfigured, match="SCHOOL_VISIBILITY"):
        rules.build([])


def test_an_unknown_code_fails_loudly():
    with pytest.raises(ImproperlyConfigured):
        access.perm("reporting.view_reprot")


def test_a_model_without_a_scope_cannot_be_fetched(world, rf):
    from schools.models import Bureau

    request = rf.get("/")
    request.user = world.inspector
    with pytest.raises(ImproperlyConfigured, match="schools.bureau"):
        access.get_for_user(request, Bureau.objects, access.perm("schools.view_school"),
                            pk=world.bureau.pk)
