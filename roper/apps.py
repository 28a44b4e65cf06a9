from django.apps import AppConfig


class RoperConfig(AppConfig):
    name = "roper"
    verbose_name = "Roper"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from roper import (
            sessions,  # noqa: F401 - connects the session signals
            text,  # noqa: F401 - strips bidi controls from names and titles
        )
        from roper.models import Notification
        from roper.notifications import on_notification_change

        post_save.connect(on_notification_change, sender=Notification, dispatch_uid="unread")
        post_delete.connect(on_notification_change, sender=Notification, dispatch_uid="unread")
