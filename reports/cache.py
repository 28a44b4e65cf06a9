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


def handovers_of(school_id, day) -> str:
    """What stands for a school's handovers of the past days of `day`'s month in place of a
    school id: their own version, given anew by a late edit of one of them (and by nothing
    else), under which those days' counts are cached apart from the reports
    (reports/figures.py `_handover_days`). A late edit reads one month again, not the three
    terms a report compares."""
    return f"handovers:{school_id}:{day:%Y-%m}"


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


def _entry_key(kind: str, parts) -> str:
    name = ":".join([kind, *map(str, parts)])
    return "reports:" + hashlib.sha256(name.encode()).hexdigest()


def cached(kind: str, school_ids, parts, build):
    """`build()`, or its result cached under `kind` and `parts` while the versions of
    `school_ids` (and Roper's) are those it was built with. The entry and the versions are
    read together, in one round trip to the cache."""
    if not enabled():
        return build()
    key = _entry_key(kind, parts)
    found = cache.get_many([*_version_keys(school_ids), key])
    versions = _versions(school_ids, found)
    entry = found.get(key)
    if entry is not None and entry[0] == versions:
        return entry[1]
    value = build()
    cache.set(key, (versions, value), TIMEOUT)
    return value


def cached_each(kind: str, parts: list[tuple], version_of, build) -> dict:
    """{part: value} for each of `parts`: its value cached under `kind` and the part while
    the version of `version_of(part)` (what stands for a school: `handovers_of`) and Roper's
    are those it was built with, else built. The entries and their versions are read in one
    round trip, those missing built by one call, `build(missing) -> {part: value}`, and
    written in one more."""
    if not enabled():
        return build(list(parts))
    keys = {part: _entry_key(kind, part) for part in parts}
    own = {part: _version_key(version_of(part)) for part in parts}
    version_keys = [ALL, *sorted(set(own.values()))]
    found = cache.get_many([*version_keys, *keys.values()])
    missing = [key for key in version_keys if key not in found]
    for key in missing:
        cache.add(key, uuid.uuid4().hex, None)
    if missing:
        found = {**found, **cache.get_many(missing)}
    versions = {part: f"{found.get(ALL)}.{found.get(own[part])}" for part in parts}
    values, todo = {}, []
    for part in parts:
        entry = found.get(keys[part])
        if entry is not None and entry[0] == versions[part]:
            values[part] = entry[1]
        else:
            todo.append(part)
    if todo:
        built = build(todo)
        cache.set_many({keys[part]: (versions[part], built[part]) for part in todo}, TIMEOUT)
        values |= built
    return values


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
        # A late edit of a past day: that month's counts are read again.
        changed_on_commit(handovers_of(instance.school_id, instance.school_day))
    changed_on_commit(getattr(instance, "school_id", None))
