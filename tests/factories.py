from datetime import date

import factory
from django.contrib.auth import get_user_model

from people.models import Guardian, Guardianship, Learner, Membership, School, Term, Trust


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Trust {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: f"{800000 + n}")


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    school = factory.SubFactory(SchoolFactory)
    season = "autumn"
    starts_on = date(2026, 9, 2)
    ends_on = date(2026, 12, 18)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@school.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    roles = ["staff"]


class LearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Learner

    school = factory.SubFactory(SchoolFactory)
    legal_first_name = factory.Faker("first_name", locale="en_GB")
    legal_last_name = factory.Faker("last_name", locale="en_GB")
    year_group = "5"
    class_name = "Oak"
    upn = factory.Sequence(lambda n: f"A{n:012d}")
    date_of_birth = date(2015, 10, 1)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    school = factory.SubFactory(SchoolFactory)
    name = factory.Faker("name", locale="en_GB")
    phone = "07700 900000"
    email = factory.Sequence(lambda n: f"parent{n}@example.org")


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    learner = factory.SubFactory(LearnerFactory)
    guardian = factory.SubFactory(GuardianFactory, school=factory.SelfAttribute("..learner.school"))
    relationship = "Mother"
    may_collect = True
