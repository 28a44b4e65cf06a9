"""Each test its own cache, as an empty one: the test's keys carry the run's token and a number
that changes at every test (the `_cache_of_its_own` fixture in tests/conftest.py).

The world and the demo are copied into each test with the same row ids, so a cached entry keyed
by a school's or a term's id (a completed term's report) written by one test would otherwise
answer the next. The cache is not emptied instead: with Redis it is Celery's broker too, and
shared with the other test workers."""

import uuid

from roper.cache import make_key as roper_make_key

#: This test process's run: Redis outlives it, and the next run (same test database names, same
#: row ids, same test numbers) must not find what this one cached.
RUN = uuid.uuid4().hex[:12]
generation = 0


def make_key(key, key_prefix, version):
    return f"{roper_make_key(key, key_prefix, version)}:{RUN}:test{generation}"
