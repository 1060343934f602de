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
             ("inspector", reverse("reporting:review_queue")),
             # The incidents bureau views: a month per column, a state per column.
             ("inspector", reverse("incidents:bureau_counts")),
             ("inspector", reverse("incidents:bureau_disputes")))
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


def test_the_sign_in_page_and_the_centred_forms_fit_a_phone(browser, live_server, district):  # noqa: F811
    """A walk-through found the sign-in page, the password change and every
    other centred form 394 px wide: a .row's gutter reached past the phone's
    narrower page padding."""
    too_wide = {}
    for who, path in ((None, reverse("login")), ("officer", reverse("password_change"))):
        context = browser.new_context(locale="zh-CN", viewport={"width": PHONE, "height": 844})
        if who:
            _sign_in(context, live_server.url, district[who])
        page = context.new_page()
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE:
            too_wide[path] = width
        context.close()
    assert too_wide == {}


def test_the_priority_group_counts_keep_one_school_to_a_line_on_a_phone(
        browser, live_server, district):  # noqa: F811
    """The counts table scrolls in its box; before, its school column was squeezed
    to one character a line (a row 219 px tall, the page 8,000 px long)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": PHONE, "height": 844})
    _sign_in(context, live_server.url, district["inspector"])
    page = context.new_page()
    page.goto(live_server.url + reverse("schools:pupil_counts"))
    first_cell = page.get_by_test_id("pupil-counts").locator("tbody td").first
    name_height = first_cell.evaluate("td => td.getBoundingClientRect().height")
    assert name_height < 70  # the name and its school type: two lines, not a column of characters
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    context.close()
