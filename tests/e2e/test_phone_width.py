"""On a 390 px phone no page is wider than the screen: a wide table scrolls in
its own box, the page itself never scrolls sideways (a walk-through found the
dashboard 902 px wide and the report form 4 px too wide)."""

import pytest
from django.urls import reverse

from tests.e2e.test_colour_contrast import PHONE, _sign_in, district  # noqa: F401

pytestmark = pytest.mark.e2e


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, district):  # noqa: F811
    import datetime as dt

    from reporting.models import Deadline
    from tests.reporting.factories import DeadlineFactory

    school = district["officer"].memberships.first().school
    upcoming = Deadline.objects.order_by("-due_date").first()
    first = Deadline.objects.order_by("due_date").first()
    for n in range(1, 15):  # a campaign's worth of columns in the matrix
        DeadlineFactory(campaign=first.campaign, due_date=first.due_date - dt.timedelta(days=n))
    pages = (("officer", reverse("home")),
             ("officer", reverse("reporting:school_reports", args=[school.pk])),
             ("officer", reverse("reporting:report_edit", args=[school.pk, upcoming.pk])),
             ("inspector", reverse("reporting:dashboard")),
             ("inspector", reverse("reporting:review_queue")))
    too_wide = {}
    for who, path in pages:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": PHONE, "height": 844})
        _sign_in(context, live_server.url, district[who])
        page = context.new_page()
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE:
            too_wide[path] = width
        context.close()
    assert too_wide == {}
