"""Paged lists (roper/paging.py): each page cut from one order, so rows that tie on the list's
order (breaches logged at one minute, two Oliver Smiths) are each on one page. What a user
sees is in tests/people/test_learner_list.py (300 of one name: without one order, two shown
twice and two never)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conduct.models import Breach
from roper.paging import OneOrder, in_one_order

pytestmark = pytest.mark.django_db


def _views(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _views(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None:
                yield f"{namespace}{pattern.name}", view


def test_every_paged_list_is_cut_from_one_order():
    paged = {name: view for name, view in _views() if getattr(view, "paginate_by", None)}
    assert "people:learners" in paged and "conduct:breaches" in paged
    assert [name for name, view in paged.items() if not issubclass(view, OneOrder)] == []


def test_the_order_ends_with_the_record_in_the_direction_of_the_last_key():
    def keys(queryset):
        return list(in_one_order(queryset).query.order_by)

    assert keys(Breach.objects.all()) == ["-at", "-pk"]  # the model's ordering
    assert keys(Breach.objects.order_by("kind")) == ["kind", "pk"]
    assert keys(Breach.objects.order_by("-at", "pk")) == ["-at", "pk"]  # already one order
    assert keys(Breach.objects.order_by()) == ["pk"]
