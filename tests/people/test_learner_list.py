"""The list of learners, paged 50 at a time."""

import re

import pytest
from django.urls import reverse

from people.models import Learner
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


def test_paging_through_learners_of_one_name_shows_each_once(world, as_user):
    """Learners are listed by surname and first name; a school has several of one name (two
    Oliver Smiths), and a list sorted by a value that ties may put a tied learner on two
    pages and on none: the pages follow one order, ties broken by the record. (300 of one
    name: PostgreSQL sorts each page with a heap of the rows up to it, and without the
    record to break ties, six pages showed two learners twice and two never.)"""
    made = [LearnerFactory(school=world.school) for _ in range(299)]
    for learner in sorted(made, key=lambda learner: learner.upn)[::-1]:  # rows moved about
        Learner.objects.filter(pk=learner.pk).update(
            legal_first_name="Oliver", legal_last_name="Smith"
        )
    client = as_user(world.users["office"])
    seen = []
    for page in range(1, 7):
        html = client.get(reverse("people:learners"), {"page": page}).content.decode()
        seen += [int(pk) for pk in re.findall(r'href="/learners/(\d+)/"', html)]
    assert len(seen) == len(set(seen)) == Learner.objects.filter(school=world.school).count()
