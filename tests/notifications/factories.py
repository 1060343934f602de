import factory

from notifications.models import Notice
from tests.schools.factories import UserFactory


class RecipientFactory(UserFactory):
    email = factory.Sequence(lambda n: f"teacher{n}@school.example.cn")


class NoticeFactory(factory.django.DjangoModelFactory):
    """A row as notice_enqueue would write it (for tests that bypass the service)."""

    class Meta:
        model = Notice

    key = factory.Sequence(lambda n: f"overdue:{n}:1:1")
    kind = "overdue"
    subject_type = "reporting.deadline_school"
    subject_code = "7:3"
    recipient = factory.SubFactory(RecipientFactory)
    language = "zh-hans"
    context = factory.LazyFunction(lambda: {
        "path": "/reports/deadlines/7/", "school_id": 3, "school_name": "甲小学",
        "deadline_id": 7, "deadline_date": "2025-10-13",
    })


def overdue_context(**overrides) -> dict:
    return {"path": "/reports/deadlines/7/", "school_id": 3, "school_name": "甲小学",
            "deadline_id": 7, "deadline_date": "2025-10-13", **overrides}


# What reporting's overdue notices are about: the school × deadline pair.
OVERDUE_SUBJECT = ("reporting.deadline_school", "7:3")
