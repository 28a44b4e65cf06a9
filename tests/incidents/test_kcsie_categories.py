"""The KCSIE 2025/2026 categories (docs/kcsie-2026-categories.md): new schools get them with
the defaults; schools that exist get them from a data migration that keeps what is theirs."""

import importlib

import pytest
from django.apps import apps

from incidents.models import Category
from incidents.routing import DEFAULT_CATEGORIES, KCSIE_2026_CATEGORIES
from tests.factories import SchoolFactory

migration = importlib.import_module("incidents.migrations.0008_kcsie_2026_categories")
KEYS = [row[0] for row in KCSIE_2026_CATEGORIES]


def test_the_migration_adds_what_the_defaults_add():
    # The migration's frozen rows are the defaults as they were written.
    assert [row["key"] for row in migration.ROWS] == KEYS
    for row, default in zip(migration.ROWS, KCSIE_2026_CATEGORIES, strict=True):
        assert (row["name"], row["owner_role"], row["guidance"]) == (
            default[1],
            default[2],
            default[8],
        )


@pytest.mark.django_db
def test_an_existing_school_gets_the_new_categories_without_twins_or_renames():
    school = SchoolFactory()
    Category.objects.filter(school=school, key__in=KEYS).delete()  # as before the migration
    own = Category.objects.get(school=school, key="abusive_messages")
    own.name = "Cyberbullying and abusive messages"
    own.save()
    # The school made its own deepfake category, under another key, before Roper had one.
    Category.objects.create(
        school=school, key="deepfakes", name="AI-generated or DEEPFAKE imagery of a pupil or "
        "member of staff", order=40,
    )  # fmt: skip

    migration.add_categories(apps, None)
    migration.add_categories(apps, None)  # run twice: nothing more

    keys = list(Category.objects.filter(school=school).values_list("key", flat=True))
    assert sorted(keys) == sorted(
        [row[0] for row in DEFAULT_CATEGORIES if row[0] != "ai_imagery"] + ["deepfakes"]
    )
    own.refresh_from_db()
    assert own.name == "Cyberbullying and abusive messages"
    added = Category.objects.filter(school=school, key__in=KEYS).order_by("order")
    assert [c.key for c in added] == [k for k in KEYS if k != "ai_imagery"]
    assert added[0].order == 41  # after the school's own
    sextortion = Category.objects.get(school=school, key="sextortion")
    assert not sextortion.allows_images and "UKCIS" in sextortion.no_images_reason


@pytest.mark.django_db
def test_a_new_school_has_the_deepfake_category_as_child_on_child_abuse_for_the_dsl():
    school = SchoolFactory()
    category = Category.objects.get(school=school, key="ai_imagery")
    assert category.owner_role == "dsl" and category.is_online
    assert not category.allows_images  # may be sexual: never uploaded
    assert "child-on-child abuse" in category.guidance
