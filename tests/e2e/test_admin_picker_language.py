"""The admin's class picker (filter_horizontal) builds its buttons in
JavaScript; in a real browser they read in Chinese (issue 8 item 9: "Choose
all", "Remove all")."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from schools.models import Membership, Role
from tests.e2e.test_colour_contrast import _sign_in
from tests.schools.factories import SchoolClassFactory, SchoolFactory, bureau_member, school_member


@pytest.fixture
def head_teacher_role(transactional_db):
    school = SchoolFactory(name="示例区实验小学")
    SchoolClassFactory(school=school, grade=3, number=1)
    teacher = school_member(school, Role.HEAD_TEACHER, username="s01-teacher")
    admin = bureau_member(school.bureau, Role.BUREAU_ADMIN, username="bureau-admin")
    return admin, Membership.objects.get(user=teacher)


def test_the_class_picker_speaks_chinese(browser, live_server, head_teacher_role):
    admin, role = head_teacher_role
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    _sign_in(context, live_server.url, admin)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:schools_membership_change", args=[role.pk]))
    picker = page.locator(".selector")
    expect(picker).to_contain_text("全选")
    expect(picker).to_contain_text("移除全部")
    expect(picker.get_by_text("3年级1班")).to_be_visible()
    for english in ("Choose all", "Remove all", "Available", "Chosen"):
        expect(picker).not_to_contain_text(english)
    context.close()
