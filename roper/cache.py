"""Cache keys that name the database: Redis may be shared by two Roper databases (the app and
the benchmark, or the test databases of parallel test workers), and an entry one wrote must
never answer the other. Nothing in Roper empties the whole cache: with Redis it is Celery's
broker too."""

from django.db import connection


def make_key(key, key_prefix, version):
    return f"{key_prefix}:{connection.settings_dict['NAME']}:{version}:{key}"
