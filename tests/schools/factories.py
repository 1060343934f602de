import datetime as dt

import factory

from schools.models import Bureau, Membership, Role, School, SchoolClass, SchoolType, User

PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BureauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bureau

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}区教育和体育局")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    bureau = factory.SubFactory(BureauFactory)
    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"第{n}小学")
    school_type = SchoolType.PRIMARY
    # In the campaign long before any test's deadline (issue 8 item 3: a
    # school is expected only for deadlines after it joined). A school made
    # closed or out of the campaign closes the day it joins: expected for none.
    joined_on = dt.date(2020, 1, 1)


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    grade = 3
    number = factory.Sequence(lambda n: n + 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.SAFETY_OFFICER
    school = factory.SubFactory(SchoolFactory)
    bureau = None


def school_member(school: School, role: Role, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, role=role, school=school)
    return user


def bureau_member(bureau: Bureau, role: Role, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, role=role, school=None, bureau=bureau)
    return user
