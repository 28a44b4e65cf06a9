"""The published policy for parents and pupils: one public, read-only page per published
policy of a school, at /public/<school URN>/policies/<slug>/, no sign-in.

What it shows is the policy's current ratified version and what the policy itself publishes:
its title, the school, the version's number and ratification, the next review date and the key
people it names (DSL, deputy, Online Safety Lead, named governor). Nothing internal: no draft,
no change summary, no review trigger, no acknowledgement, no one who recorded anything.

A policy the school has not published (`Policy.published_for_families`, off by default), one
with no ratified version, one archived, and a school or policy that does not exist all give the
same 404. The page is rendered once and kept in the cache (and by browsers and proxies for a
few minutes); saving the policy or one of its versions forgets it at once.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models.signals import post_save
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from policies.models import Policy, PolicyVersion
from policies.rendering import render_markdown

#: How long the page is kept: in the cache (forgotten early when the policy changes) and by
#: browsers and proxies (an unpublished page may live there this long).
CACHE_SECONDS = 300
_MISSING = "404"


def _key(urn: str, slug: str) -> str:
    return f"public-policy:{urn}:{slug}"


def published_policy(*, urn: str, slug: str) -> Policy | None:
    """The published policy `slug` of the school with URN `urn`, with its current ratified
    version as `policy.current`; None when there is none to show."""
    policy = (
        Policy.objects.filter(
            school__urn=urn,
            slug=slug,
            published_for_families=True,
            status__in=Policy.REVIEWED,
            listed_only=False,
        )
        .select_related("school", "dsl", "deputy_dsl", "osl", "governor")
        .first()
    )
    if policy is None:
        return None
    policy.current = policy.versions.ratified().order_by("-number").first()
    return policy if policy.current is not None else None


def page_html(*, urn: str, slug: str) -> str | None:
    """The page's HTML, from the cache when it is there; None for a 404."""
    key = _key(urn, slug)
    html = cache.get(key)
    if html is None:
        policy = published_policy(urn=urn, slug=slug)
        if policy is None:
            html = _MISSING
        else:
            html = render_to_string(
                "policies/policy_public.html",
                {
                    "policy": policy,
                    "version": policy.current,
                    "school": policy.school,
                    "body_html": render_markdown(policy.current.body),
                    "key_people": _key_people(policy),
                },
            )
        cache.set(key, html, CACHE_SECONDS)
    return None if html == _MISSING else html


def _key_people(policy: Policy) -> list[tuple[str, str]]:
    people = []
    for field in ("dsl", "deputy_dsl", "osl", "governor"):
        user = getattr(policy, field)
        if user is not None:
            role = Policy._meta.get_field(field).verbose_name
            people.append((str(role), user.get_full_name() or ""))
    return [(role, name) for role, name in people if name]


def page_forget(policy: Policy) -> None:
    cache.delete(_key(policy.school.urn, policy.slug))


@login_not_required
@require_GET
def public_policy(request, urn: str, slug: str):
    """No sign-in and no session: the same bytes for everyone, from the cache."""
    html = page_html(urn=urn, slug=slug)
    if html is None:
        raise Http404
    response = HttpResponse(html)
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _forget_policy(sender, instance, **kwargs):
    page_forget(instance)


def _forget_version(sender, instance, **kwargs):
    page_forget(instance.policy)


def connect() -> None:
    """Forget a page when its policy or one of its versions is saved (policies.apps)."""
    post_save.connect(_forget_policy, sender=Policy, dispatch_uid="public-policy-policy")
    post_save.connect(_forget_version, sender=PolicyVersion, dispatch_uid="public-policy-version")
