"""Reports of completed terms, cached: their figures do not change, except by the rare late
edit (a concern of last term triaged today, a handover of a past day corrected), and they are
the dearest pages Roper serves.

Each cached report is kept with a version of every school it covers and one of the whole of
Roper, and is used only while those are still the versions. A change to data a report reads
(any save or delete of the reports' models, connected in apps.py) gives its school a new
version (a change with no school, all schools): the next view misses and computes afresh. A
version is a random token, not a counter, so that a version the cache evicted can never
bring an older entry back. The few queryset updates that send no signal are bounded by
TIMEOUT.

Only with a cache every worker shares (settings.SHARED_CACHE, Redis): with each process's
own memory, one worker would not hear of another's change.
"""

import functools
import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from people.calendar import SchoolCalendar

ALL = "reports:version"
#: A cached report lives at most this long (seconds).
TIMEOUT = 60 * 60
#: The apps whose data the reports read.
APPS = {"people", "devices", "incidents", "policies", "conduct", "reports"}


def enabled() -> bool:
    return settings.SHARED_CACHE


def _version_key(school_id) -> str:
    return f"{ALL}:{school_id}" if school_id else ALL


def _version_keys(school_ids) -> list[str]:
    return [ALL, *(_version_key(pk) for pk in sorted(school_ids, key=str))]


def handovers_of(school_id) -> str:
    """What stands for a school's handovers of past days in place of a school id: their own
    version, given anew by a late edit of one (and by nothing else), under which the daily
    counts of completed terms are cached apart from the reports (reports/figures.py)."""
    return f"handovers:{school_id}"


def _versions(school_ids, found: dict | None = None) -> str:
    """The versions of these schools and Roper's, from `found` when they were read already; a
    version missing (never given, or evicted) is given now."""
    keys = _version_keys(school_ids)
    if found is None:
        found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, uuid.uuid4().hex, None)
    if missing:
        found = {**found, **cache.get_many(missing)}
    return ".".join(str(found.get(key)) for key in keys)


def cached(kind: str, school_ids, parts, build):
    """`build()`, or its result cached under `kind` and `parts` while the versions of
    `school_ids` (and Roper's) are those it was built with. The entry and the versions are
    read together, in one round trip to the cache."""
    if not enabled():
        return build()
    name = ":".join([kind, *map(str, parts)])
    key = "reports:" + hashlib.sha256(name.encode()).hexdigest()
    found = cache.get_many([*_version_keys(school_ids), key])
    versions = _versions(school_ids, found)
    entry = found.get(key)
    if entry is not None and entry[0] == versions:
        return entry[1]
    value = build()
    cache.set(key, (versions, value), TIMEOUT)
    return value


def changed(school_id=None) -> None:
    """A school's data (or, with no school, anyone's) changed: its cached reports go."""
    if enabled():
        cache.set(_version_key(school_id), uuid.uuid4().hex, None)


def changed_on_commit(school_id=None) -> None:
    """`changed(school_id)` once the transaction commits: a version given before the commit
    would let another worker cache, under the new version, the figures it read before the
    change was visible. (One callback per change, not one per school: a callback merged into
    one registered earlier would be invisible to a test capturing the callbacks of a block.)"""
    if enabled():
        transaction.on_commit(functools.partial(changed, school_id))


def forget(school_ids) -> None:
    """The cached reports of these schools go (a first view, in the benchmark)."""
    for school_id in school_ids:
        changed(school_id)


def on_change(sender, instance, **kwargs):
    """post_save, post_delete, m2m_changed: a change to what reports read."""
    meta = sender._meta
    if meta.app_label not in APPS or sender.__name__.startswith("Historical"):
        return
    name = sender.__name__
    if name == "DeskEntry":
        return  # the desk's log: no report reads it
    if name == "Handover":
        if instance.school_day == SchoolCalendar.today():
            return  # today's desk: no completed term holds today
        changed_on_commit(handovers_of(instance.school_id))  # a late edit of a past day
    changed_on_commit(getattr(instance, "school_id", None))
