"""Fixtures shared by every test: services, schools, and one persona per role.

Services: a test marked `postgres`, `redis` or `browser` needs that service. Under CI=true a
missing service fails the test; on a laptop without it, the test is skipped.
"""

import os
import shutil
from dataclasses import dataclass

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import override_settings

from people.models import Learner, School
from tests import cache as test_cache
from tests import demo as demo_copy
from tests import flush, template_db
from tests.factories import LearnerFactory, MembershipFactory, SchoolFactory, TrustFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
flush.install()  # the flush between transactional tests empties only what a test filled
#: Prints the secrecy property's figures at the end of a run (xdist workers included).
pytest_plugins = ["tests.secrecy.summary"]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def session_queries() -> int:
    """What a signed-in request spends on its session, for query budgets: nothing with a
    shared cache (Redis, as in production and CI), one query without (sessions in the
    database: a laptop's `make test` on SQLite)."""
    return 0 if settings.SHARED_CACHE else 1


def badge_queries() -> int:
    """What a full page spends on the unread-notifications badge, for query budgets: nothing
    while the count is in a shared cache (roper/notifications.py), one query without."""
    return 0 if settings.SHARED_CACHE else 1


def _redis_available() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer: {exc}"
    return None


def _postgres_missing() -> str | None:
    return None if connection.vendor == "postgresql" else "DATABASE_URL is not PostgreSQL"


def _chromium_missing() -> str | None:
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return None
    return f"Chromium is not installed at {CHROMIUM}"


SERVICES = {"postgres": _postgres_missing, "redis": _redis_available, "browser": _chromium_missing}


#: The slowest tests, dearest first (measured with --durations): each run first among the tests
#: of its kind, so that the workers share them and no worker is left alone with a long one.
SLOW_FIRST = (
    "tests/production/",
    "tests/e2e/test_reflow.py",
    "tests/secrecy/test_property.py",
    "tests/e2e/",
    "tests/test_no_dead_links.py",
    "tests/security/test_hostile_input.py",
    "tests/test_access_matrix.py",
)


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return (
        item.nodeid.startswith("tests/e2e/")
        or "live_server" in fixtures
        or "transactional_db" in fixtures
        or bool(marker and marker.kwargs.get("transaction"))
    )


def _order(item) -> tuple[bool, int]:
    """Django's order first (the transactional tests, which empty the database, after the
    others), then the slowest first within each."""
    path = item.nodeid
    slow = next((n for n, prefix in enumerate(SLOW_FIRST) if path.startswith(prefix)), 99)
    return _transactional(item), slow


def pytest_collection_modifyitems(items):
    items.sort(key=_order)  # stable: the order within each group is kept


#: Tests that share one expensive server and must run on one worker: tests/production builds
#: Roper as deployed (collectstatic, migrate, seed, gunicorn) once per process.
ONE_WORKER = {"tests/production/": "production"}


@pytest.hookimpl(optionalhook=True)  # unknown without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """Under `-n`, every test goes to whichever worker is free, except that each ONE_WORKER
    group goes, whole, to one worker, while the other works through the rest. (xdist's own
    `--dist loadgroup` does this by the `xdist_group` mark, but pytest 9.2 ignores the suffix
    it adds to test ids: pytest-dev/pytest-xdist#1386. This is its scheduler, grouping by path.)"""
    if config.getvalue("dist") != "load":
        return None  # a --dist the runner asked for
    from xdist.scheduler import LoadGroupScheduling

    class ByPath(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next(
                (g for prefix, g in ONE_WORKER.items() if nodeid.startswith(prefix)), nodeid
            )

    return ByPath(config, log)


def pytest_runtest_setup(item):
    for marker, missing in SERVICES.items():
        if item.get_closest_marker(marker):
            reason = missing()
            if reason:
                if IN_CI:
                    pytest.fail(f"CI=true and this test needs {marker}: {reason}", pytrace=False)
                pytest.skip(f"needs {marker}: {reason}")


#: persona -> roles at school A. `outsider` is headteacher and DSL of school B.
PERSONAS = {
    "office": ["office"],
    "teacher": ["staff"],
    "leadership": ["leadership", "staff"],
    "osl": ["osl", "staff"],
    "dsl": ["dsl", "staff"],
    "deputy_dsl": ["deputy_dsl", "staff"],
    "head": ["headteacher"],
    "chair": ["chair_of_governors", "governor"],
    "governor": ["governor"],
    "admin": ["admin"],
}
ALL_PERSONAS = [*PERSONAS, "outsider"]


@dataclass
class World:
    """Two schools of one trust, with a learner each, and a user per persona at school A."""

    school: object
    other_school: object
    learner: object
    other_learner: object
    users: dict


def _world_build() -> World:
    trust = TrustFactory()
    school = SchoolFactory(trust=trust, name="Anthony Roper Primary School")
    other = SchoolFactory(trust=trust, name="Other Primary School")
    users = {}
    # Names of their own, not drawn at random: the world is copied into every test of a run,
    # and a persona drawn as "Kathryn Khan" would be on every page beside the learner Amelia
    # Khan, whom a test checks is not named.
    for persona, roles in [*PERSONAS.items(), ("outsider", ["headteacher", "dsl"])]:
        users[persona] = MembershipFactory(
            school=other if persona == "outsider" else school,
            roles=roles,
            user__username=persona,
            user__first_name=persona.replace("_", " ").title(),
            user__last_name="Persona",
        ).user
    return World(
        school=school,
        other_school=other,
        learner=LearnerFactory(school=school, legal_first_name="Amelia", legal_last_name="Khan"),
        other_learner=LearnerFactory(school=other, legal_first_name="Zed", legal_last_name="Other"),
        users=users,
    )


def _world_ids(world: World) -> dict:
    return {
        "schools": (world.school.pk, world.other_school.pk),
        "learners": (world.learner.pk, world.other_learner.pk),
        "users": {name: user.pk for name, user in world.users.items()},
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's own (a database per xdist worker), each made on PostgreSQL as a copy of
    one migrated template (tests/template_db.py) instead of by migrating it from empty."""
    settings_dict = connection.settings_dict
    template = template_db.migrated_template(settings_dict)
    if template:
        settings_dict.setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture(scope="session")
def _world_snapshot(django_db_setup, django_db_blocker, _fast_password_hashing):
    """The world's rows, built once per test process (a copy costs a fifth of building it)."""
    if connection.vendor != "postgresql":
        return None
    with django_db_blocker.unblock():
        return demo_copy.Snapshot.take(lambda: _world_ids(_world_build()))


@pytest.fixture
def world(_world_snapshot, db):
    """Two schools of one trust, a learner in each, a user per persona: copied in (PostgreSQL)
    or built (elsewhere), and read back as new objects for each test."""
    if _world_snapshot is None:
        return _world_build()
    _world_snapshot.restore()
    ids = _world_snapshot.made
    schools = School.objects.in_bulk(ids["schools"])
    learners = Learner.objects.in_bulk(ids["learners"])
    users = get_user_model().objects.in_bulk(ids["users"].values())
    return World(
        school=schools[ids["schools"][0]],
        other_school=schools[ids["schools"][1]],
        learner=learners[ids["learners"][0]],
        other_learner=learners[ids["learners"][1]],
        users={name: users[pk] for name, pk in ids["users"].items()},
    )


def _persona_fixture(name):
    @pytest.fixture(name=name)
    def _fixture(world):
        return world.users[name]

    return _fixture


for _name in ALL_PERSONAS:
    globals()[_name] = _persona_fixture(_name)


@pytest.fixture(scope="session", autouse=True)
def _test_cache_keys():
    """The cache's keys as Roper makes them, and the test's number (tests/cache.py)."""
    caches = {
        name: {**config, "KEY_FUNCTION": "tests.cache.make_key"}
        for name, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _cache_of_its_own(_test_cache_keys):
    test_cache.generation += 1


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Roper hashes a password with PBKDF2's million rounds (a good part of a second of CPU); a
    test's passwords protect nothing, so they are hashed with MD5, as Django advises for tests.
    (tests/production serves Roper as deployed, in processes of its own, with the real hasher.)"""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker):
    """The demo, seeded once per test process (each xdist worker has its own database)."""
    if connection.vendor != "postgresql":
        return None
    with django_db_blocker.unblock():
        return demo_copy.Snapshot.take()


@pytest.fixture
def demo(_demo_snapshot, db):
    """The demo of `manage.py seed_demo` in this test's database, and the clock at the demo's
    moment (tests/demo.py); the test may travel on from there."""
    with time_machine.travel(demo_copy.DEMO_MOMENT, tick=True):
        if _demo_snapshot is None:
            demo_copy.seed()
        else:
            _demo_snapshot.restore()
        yield
    ContentType.objects.clear_cache()


@pytest.fixture
def shared_cache(settings):
    """As with Redis (settings.SHARED_CACHE): what Roper keeps only in a cache every worker
    shares (completed terms' reports, the unread badge's count) is kept, whatever the
    test's cache backend."""
    settings.SHARED_CACHE = True


@pytest.fixture
def as_user(client):
    """Sign the test client in as a user and return it."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(scope="session", autouse=True)
def _no_field_read_back_after_only():
    """A field that `only()` or `defer()` left out, then read, costs a query of its own:
    once per row when the rows are listed (the notifications page made 47 queries for 41
    notifications: `only()` left out the recipient that the related manager sets on every
    row). Any such read, in any test, in the test's code or a live server's, fails it."""
    from django.db.models.query_utils import DeferredAttribute

    read = DeferredAttribute.__get__

    def refused(self, instance, cls=None):
        if instance is not None and self.field.attname not in instance.__dict__:
            raise AssertionError(
                f"{type(instance).__name__}.{self.field.attname} was left out by only() or "
                "defer() and then read: a query for each row. Select it with the rest."
            )
        return read(self, instance, cls)

    DeferredAttribute.__get__ = refused
    yield
    DeferredAttribute.__get__ = read


@pytest.fixture(scope="session", autouse=True)
def _a_broker_queue_per_test_worker():
    """Each xdist worker's tasks in keys of its own: the workers share CI's Redis database, and
    one worker's Celery worker took the other's task (and ran it on the wrong test database)."""
    from roper.celery import app

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    options = dict(app.conf.broker_transport_options or {})
    app.conf.broker_transport_options = {**options, "global_keyprefix": f"roper-test-{worker}:"}
    yield


@pytest.fixture(autouse=True)
def _celery_eager_unless_testing_the_broker(request):
    """Tasks run in the test's own process, except in tests marked `redis`, which exercise
    the real broker and worker."""
    from roper.celery import app

    eager = request.node.get_closest_marker("redis") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous
