"""The number a user sees on a concern or a confiscation (#id, and its URL) says nothing about
the records they cannot see: no order, no gaps to count."""

from incidents.models import Concern
from incidents.visibility import concerns_visible_to
from tests.factories import confiscation, head_allegation, learner_concern


def test_the_head_cannot_count_an_allegation_about_them_from_the_numbers_they_see(world, head):
    seen = [learner_concern(world).pk for _ in range(3)]
    head_allegation(world)
    seen += [learner_concern(world).pk for _ in range(3)]
    assert sorted(concerns_visible_to(head).values_list("pk", flat=True)) == sorted(seen)
    # From a sequence the head would see n … n+2, n+4 … n+6: one number missing, the
    # allegation about them.
    missing = max(seen) - min(seen) + 1 - len(seen)
    assert missing != 1


def test_numbers_are_twelve_digits_with_no_order(world):
    numbers = [learner_concern(world).pk for _ in range(8)]
    assert all(10**11 <= n < 10**12 for n in numbers)
    assert numbers != sorted(numbers)
    devices = [confiscation(world.learner).pk for _ in range(8)]
    assert all(10**11 <= n < 10**12 for n in devices)
    assert devices != sorted(devices)


def test_a_clash_draws_again(world, monkeypatch):
    first = learner_concern(world)
    monkeypatch.setattr("roper.models.random_id", lambda: 424242424242)
    clash = Concern(
        pk=first.pk,
        school=first.school,
        category=first.category,
        what_happened="Second",
        happened_at=first.happened_at,
        where="Hall",
    )
    clash.save()
    assert clash.pk == 424242424242
    first.refresh_from_db()
    assert first.what_happened != "Second"
