"""The admin speaks Chinese all the way down (issue 8 item 9): django-axes'
pages, Django's own untranslated pieces, the filter_horizontal widget's
JavaScript, the filter headings and the change history."""

import json
import re
from pathlib import Path

import django
import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.conftest import shanghai

pytestmark = pytest.mark.django_db

SELECT_FILTER_JS = (Path(django.__file__).parent
                    / "contrib/admin/static/admin/js/SelectFilter2.js")


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", html)
    return re.sub(r"(?s)<[^>]+>", " ", html)


@pytest.fixture
def locked_teacher(world):
    AccessLog.objects.create(username="a-teacher", ip_address="10.0.0.8", user_agent="UA",
                             http_accept="*/*", path_info="/accounts/login/")
    AccessFailureLog.objects.create(username="a-teacher", ip_address="10.0.0.8",
                                    user_agent="UA", http_accept="*/*",
                                    path_info="/accounts/login/", locked_out=True)
    return AccessAttempt.objects.create(
        username="a-teacher", ip_address="10.0.0.8", user_agent="UA", http_accept="*/*",
        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=2)


def test_the_admin_index_names_sign_in_protection_in_chinese(world, login, locked_teacher):
    text = _visible_text(login(world.bureau_admin).get(reverse("admin:index")).content.decode())
    for chinese in ("登录防护", "访问尝试", "登录失败记录", "登录日志", "模型名称", "添加链接"):
        assert chinese in text
    for english in ("Axes", "Access attempts", "Access failures", "Access logs", "Model name",
                    "Add link", "Change or view list link"):
        assert english not in text


def test_the_access_attempt_pages_speak_chinese(world, login, locked_teacher):
    client = login(world.bureau_admin)
    listing = _visible_text(client.get(
        reverse("admin:axes_accessattempt_changelist")).content.decode())
    assert "还可尝试 3 次" in listing  # AXES_FAILURE_LIMIT 5, two failures so far
    assert "按已锁定" in listing  # the filter heading
    for english in ("Attempt Remaining", "Attempt Time", "Failed Logins", "IP Address",
                    "Username", "Locked Out", "Clean up expired attempts", "Status"):
        assert english not in listing
    delete_page = _visible_text(client.get(reverse(
        "admin:axes_accessattempt_delete", args=[locked_teacher.pk])).content.decode())
    assert "a-teacher 的访问尝试" in delete_page  # what unlocking a teacher deletes
    assert "Attempted Access" not in delete_page


def test_an_attempt_at_the_limit_reads_locked_out(world, login, locked_teacher):
    AccessAttempt.objects.filter(pk=locked_teacher.pk).update(failures_since_start=5)
    listing = _visible_text(login(world.bureau_admin).get(
        reverse("admin:axes_accessattempt_changelist")).content.decode())
    assert "已锁定" in listing
    assert "还可尝试" not in listing


def test_the_sign_in_records_are_named_in_chinese(world, login, locked_teacher):
    client = login(world.bureau_admin)
    failure = AccessFailureLog.objects.get()
    log = AccessLog.objects.get(username="a-teacher")
    failure_page = _visible_text(client.get(reverse(
        "admin:axes_accessfailurelog_change", args=[failure.pk])).content.decode())
    log_page = _visible_text(client.get(reverse(
        "admin:axes_accesslog_change", args=[log.pk])).content.decode())
    assert re.search(r"a-teacher 于 \d{4}-\d\d-\d\d \d\d:\d\d 登录失败（已锁定）", failure_page)
    assert re.search(r"a-teacher 于 \d{4}-\d\d-\d\d \d\d:\d\d 登录", log_page)
    assert "Failed access" not in failure_page
    assert "Access Log for" not in log_page
    for english in ("Meta Data", "HTTP Accept", "Path", "Logout Time"):
        assert english not in log_page.replace("HTTP Accept 请求头", "")


def test_the_record_names_follow_the_reader_s_language(locked_teacher):
    with translation.override("en"):
        assert str(locked_teacher) == "Access attempts of a-teacher"
    with translation.override("zh-hans"):
        assert str(locked_teacher) == "a-teacher 的访问尝试"


def test_the_filter_headings_read_an(world, login):
    text = _visible_text(login(world.bureau_admin).get(
        reverse("admin:schools_membership_changelist")).content.decode())
    assert "按角色" in text
    assert "以 " not in text


def _admin_js_catalogue(client) -> dict:
    body = client.get(reverse("admin:jsi18n")).content.decode()
    found = re.search(r"const newcatalog = (\{.*?\});", body, re.S)
    return json.loads(found.group(1)) if found else {}  # none at all for English


def test_the_admin_s_javascript_catalogue_translates_every_string_of_the_picker(world,
                                                                               login):
    """The filter_horizontal widget (a head teacher's classes) builds its
    buttons and help in JavaScript: every string it asks for is in the
    catalogue the admin serves in Chinese."""
    asked = set(re.findall(r"""gettext\((['"])(.*?)\1\)""",
                           SELECT_FILTER_JS.read_text()))
    asked = {text.replace('\\"', '"') for _quote, text in asked}
    assert {"Choose all %s", "Remove all %s", "Choose selected %s"} <= asked
    catalogue = _admin_js_catalogue(login(world.bureau_admin))
    assert {text for text in asked if not catalogue.get(text)} == set()
    assert catalogue["Choose all %s"] == "全选%s"
    assert catalogue["Remove all %s"] == "移除全部%s"


def test_the_javascript_catalogue_stays_english_for_an_english_reader(world, login):
    world.bureau_admin.language = "en"
    world.bureau_admin.save(update_fields=["language"])
    assert "Choose all %s" not in _admin_js_catalogue(login(world.bureau_admin))


def test_a_change_in_the_history_names_the_field_in_chinese(world, login, deadline):
    client = login(world.bureau_admin)
    with time_machine.travel(shanghai("2026-05-06 09:00"), tick=False):
        response = client.post(reverse("admin:reporting_deadline_change", args=[deadline.pk]), {
            "due_date": "2026-05-15", "moved_reason": "调休",
            # The moves are a read-only inline: its management form only.
            "moves-TOTAL_FORMS": "0", "moves-INITIAL_FORMS": "0"})
        history = _visible_text(client.get(reverse(
            "admin:reporting_deadline_history", args=[deadline.pk])).content.decode())
    assert response.status_code == 302
    assert "截止日期" in history
    assert "Due date" not in history


def _labels_the_history_stores(model_admin, request):
    forms = [model_admin.get_form(request, None)]
    for attribute in ("form", "add_form"):
        if hasattr(model_admin, attribute):
            forms.append(getattr(model_admin, attribute))
    forms += [inline.get_formset(request, None).form
              for inline in model_admin.get_inline_instances(request, None)]
    for form in forms:
        for name, field in form.base_fields.items():
            with translation.override(None):  # as Django stores it in LogEntry
                yield str(field.label) if field.label else name


def test_every_admin_form_label_has_chinese_for_the_history(world):
    """LogEntry keeps each changed field by its capitalised English label and
    translates it when shown: every label an admin form of the portal can
    change must have a Chinese entry (safety_portal/translation_fixes.py)."""
    from tests.schools.factories import UserFactory

    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_superuser=True)
    untranslated = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in {"django_celery_beat", "plugin_app"}:
            continue  # superuser-only scheduling; a test-only app
        for label in _labels_the_history_stores(model_admin, request):
            with translation.override("zh-hans"):
                if label != "ID" and translation.gettext(label) == label:
                    untranslated.add(f"{model._meta.label}: {label}")
    assert untranslated == set()


def test_the_compiled_javascript_catalogue_matches_its_source(tmp_path):
    """locale/zh_Hans/LC_MESSAGES/djangojs.po is kept by hand (no portal
    script uses gettext, so makemessages never writes it): its .mo must be
    compiled from it (`make messages`)."""
    import gettext
    import shutil
    import subprocess

    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed")
    po = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/djangojs.po"
    fresh = tmp_path / "djangojs.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    with fresh.open("rb") as new, po.with_suffix(".mo").open("rb") as committed:
        assert (gettext.GNUTranslations(new)._catalog
                == gettext.GNUTranslations(committed)._catalog)
