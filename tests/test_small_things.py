"""Small things a school or an inspector met (issue 8 item 9): each is a rule
of the portal, kept by a test."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from reporting.templatetags.reporting_tags import date_with_weekday
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db


def test_a_nul_character_in_a_field_is_named_in_chinese(world, login, deadline):
    response = login(world.safety_officer).post(
        reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk]),
        {"organisation": "校长\x00任组长"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "不能包含空字符" in body
    assert "不允许是用空字符串" not in body


def test_dates_with_their_weekday_use_the_language_s_brackets():
    day = dt.date(2026, 5, 13)
    with translation.override("zh-hans"):
        assert date_with_weekday(day) == "2026年5月13日（星期三）"
    with translation.override("en"):
        assert date_with_weekday(day) == "May 13, 2026 (Wednesday)"


def test_every_page_names_the_portal_s_icon(world, login):
    body = login(world.principal).get(reverse("home")).content.decode()
    assert re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/img/favicon\.svg"',
                     body)


class _ButtonContent(HTMLParser):
    """Records block elements inside a <button> (invalid HTML)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.blocks = []

    def handle_starttag(self, tag, attrs):
        if tag == "button":
            self.depth += 1
        elif self.depth and tag in {"div", "p", "h1", "h2", "h3", "ul", "li", "table"}:
            self.blocks.append(tag)

    def handle_endtag(self, tag):
        if tag == "button":
            self.depth -= 1


def test_the_notices_page_puts_no_block_inside_a_button(world, login, deadline):
    import time_machine

    from followups.services import scan
    from tests.conftest import shanghai

    with time_machine.travel(shanghai("2026-05-14 08:00"), tick=False):
        scan()
    body = login(world.safety_officer).get(reverse("notifications:list")).content.decode()
    parser = _ButtonContent()
    parser.feed(body)
    assert 'data-testid="notice"' in body
    assert parser.blocks == []


def test_a_draft_notice_prints_with_a_draft_mark_and_a_published_one_without(world, login,
                                                                             deadline):
    import time_machine

    from reporting.bulletins import bulletin_draft, bulletin_publish
    from tests.conftest import shanghai

    ProgressReportFactory(school=world.school_a, deadline=deadline)
    with time_machine.travel(shanghai("2026-05-20 09:00"), tick=False):
        bulletin = bulletin_draft(deadline=deadline, by=world.inspector)
        url = reverse("reporting:bulletin", args=[deadline.pk])
        body = login(world.inspector).get(url).content.decode()
        assert 'data-testid="draft-mark"' in body
        assert "草稿" in body
        bulletin_publish(bulletin=bulletin, by=world.inspector)
        assert 'data-testid="draft-mark"' not in login(world.inspector).get(url).content.decode()


def test_demo_people_have_addresses_so_make_run_shows_real_mail(db):
    from django.core.management import call_command

    from schools.models import User

    call_command("seed_demo", schools=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.get(username="s01-safety").email == "s01-safety@example.org"


def test_make_run_links_its_emails_to_the_port_it_serves_on():
    """`PORT=8790 make run`: the e-mails in var/mail/ link to :8790, not :8000
    (a newcomer's walk-through found every link dead)."""
    import subprocess
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "scripts" / "run_dev.sh").read_text()
    head = script[script.index("HOST=${HOST"):script.index("mkdir -p var/log")]
    run = lambda env: subprocess.run(  # noqa: E731
        ["bash", "-c", head + 'echo "$PORTAL_BASE_URL"'], env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, check=True).stdout.strip()
    assert run({"PORT": "8790"}) == "http://127.0.0.1:8790"
    assert run({"PORTAL_BASE_URL": "https://portal.example.org"}) == "https://portal.example.org"
