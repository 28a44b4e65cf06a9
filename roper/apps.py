from django.apps import AppConfig


class RoperConfig(AppConfig):
    name = "roper"
    verbose_name = "Roper"

    def ready(self):
        from roper import (
            sessions,  # noqa: F401 - connects the session signals
            text,  # noqa: F401 - strips bidi controls from names and titles
        )
