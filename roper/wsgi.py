import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
application = get_wsgi_application()

from roper.settings import refuse_without_secret_key  # noqa: E402 - settings are loaded now

refuse_without_secret_key()
