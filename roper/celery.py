"""The Celery app. Configured from Django settings (CELERY_ namespace); tasks are
autodiscovered from each app's tasks.py. With no REDIS_URL, tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")

app = Celery("roper")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
