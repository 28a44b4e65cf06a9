"""Celery tasks of policies: thin, they call the code that does the work."""

from celery import shared_task


@shared_task
def policy_links_check(policy_id: int) -> int:
    """Check an imported policy's external links (policies.links), away from the request."""
    from policies.links import links_check

    return links_check(policy_id=policy_id)
