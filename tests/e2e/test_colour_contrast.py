"""Every text on the pages people live in has WCAG AA contrast (issue 8 item
9: the top bar's links were 2.36:1 on every page), checked by axe-core's
color-contrast rule in Chromium on a phone and at a desk.

axe-core is vendored under tests/e2e/vendor/axe-core (MPL-2.0, see VERSION)
and injected through the DevTools protocol: no CDN, and the pages' CSP stays
as it is."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reporting import services
from reporting.models import Measure
from schools.models import Role
from tests.conftest import sign_in
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory, bureau_member, school_member

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE, DESK = 390, 1280


@pytest.fixture
def district(transactional_db):
    """A school with a late, a returned and a submitted report (every status
    colour on the pages), its safety officer and the district's inspector."""
    school = SchoolFactory(name="示例区实验小学")
    other = SchoolFactory(name="示例区第二小学", bureau=school.bureau)
    campaign = CampaignFactory(bureau=school.bureau)
    today = timezone.localdate()
    past = DeadlineFactory(campaign=campaign, due_date=today - dt.timedelta(days=20))
    DeadlineFactory(campaign=campaign, due_date=today - dt.timedelta(days=6))
    DeadlineFactory(campaign=campaign, due_date=today + dt.timedelta(days=3))
    officer = school_member(school, Role.SAFETY_OFFICER, username="s01-safety")
    inspector = bureau_member(school.bureau, Role.INSPECTOR, username="inspector")
    other_officer = school_member(other, Role.SAFETY_OFFICER, username="s02-safety")
    returned = ProgressReportFactory(school=school, deadline=past)
    returned.measures.create(measure=Measure.LEGAL, narrative="法治副校长授课 1 次")
    services.report_submit(report=returned, by=officer)
    services.report_return(report=returned, by=inspector, reason="请补充活动照片。")
    waiting = ProgressReportFactory(school=other, deadline=past)
    waiting.measures.create(measure=Measure.LEGAL, narrative="x")
    services.report_submit(report=waiting, by=other_officer)
    return {"officer": officer, "inspector": inspector}


def _sign_in(context, base_url: str, user, **kwargs) -> None:
    # With the second factor a bureau account needs (verified=True: for anyone,
    # as after a step-up).
    client = sign_in(Client(), user, **kwargs)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base_url}])


def _contrast_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: "rule", values: ["color-contrast"]},
        resultTypes: ["violations"]})""")
    return [f"{node['target']}: {node['any'][0]['message'] if node['any'] else ''}"
            for violation in result["violations"] for node in violation["nodes"]]


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_every_text_has_aa_contrast_on_the_pages_people_live_in(browser, live_server,
                                                                 district, width):
    found = {}
    for who, url_name in ((None, "login"), ("officer", "home"),
                          ("inspector", "reporting:dashboard"),
                          ("inspector", "reporting:review_queue")):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": width, "height": 900})
        if who:
            _sign_in(context, live_server.url, district[who])
        page = context.new_page()
        page.goto(live_server.url + reverse(url_name))
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(reverse(url_name)), page.url
        found[url_name] = _contrast_violations(page)
        context.close()
    assert found == {name: [] for name in found}


@pytest.fixture
def pupils(transactional_db):
    """A class with a left-behind pupil (a guardian, a circumstance) and a
    pupil who transferred out; the school's safety officer."""
    from schools.pupil_models import PupilStatus
    from schools.school_year import current_school_year
    from tests.schools.factories import SchoolClassFactory
    from tests.schools.pupil_list_factories import (
        CircumstanceFactory,
        GuardianFactory,
        PupilFactory,
    )

    school = SchoolFactory(name="示例区实验小学")
    school_class = SchoolClassFactory(school=school, school_year=current_school_year(),
                                      grade=3, number=1)
    pupil = PupilFactory(school=school, current_class=school_class, name="张测三",
                         boarder=True)
    GuardianFactory(pupil=pupil, is_primary=True, works_away=True)
    CircumstanceFactory(pupil=pupil, note="父母在外务工")
    PupilFactory(school=school, current_class=school_class, name="李测四",
                 status=PupilStatus.TRANSFERRED_OUT)
    officer = school_member(school, Role.SAFETY_OFFICER, username="s01-safety")
    return {"school": school, "pupil": pupil, "officer": officer}


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_the_roster_and_the_pupil_page_have_aa_contrast(browser, live_server, pupils, width):
    found = {}
    for path in (reverse("schools:roster", args=[pupils["school"].pk]) + "?status=all",
                 reverse("schools:pupil_detail", kwargs={"code": pupils["pupil"].code})):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": width, "height": 900})
        _sign_in(context, live_server.url, pupils["officer"], verified=True)
        page = context.new_page()
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(path), page.url
        found[path] = _contrast_violations(page)
        context.close()
    assert found == {path: [] for path in found}
