from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"

    def ready(self):
        from people.services import sign_in_facts_register
        from sso import signals  # noqa: F401 - connects the receivers
        from sso.services import linked_identity_facts

        # The approver of a safeguarding role sees the identities that sign in to the account.
        sign_in_facts_register(linked_identity_facts)
