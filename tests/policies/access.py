from django.urls import reverse

from policies import services
from policies.models import TrainingSession
from tests.access import STAFF, Case, everyone, only
from tests.factories import PolicyFactory, ratified_policy

MANAGE = ("dsl", "deputy_dsl", "head")
FAMILIES = ("office", "leadership", "dsl", "deputy_dsl", "head")
TRAINING = ("leadership", "osl", "dsl", "deputy_dsl", "head")


def _policy(w, u):
    return ratified_policy(w.school, title="Mobile technology", slug="mobile-technology")


def _other_policy(w, u):
    return ratified_policy(w.other_school, title="Theirs", slug="theirs")


def _reviewed(w, u):
    """A policy with two ratified versions."""
    policy = _policy(w, u)
    services.policy_review_start(policy=policy, by=w.users["head"])
    services.policy_ratify(policy=policy, by=w.users["head"], ratified_on=policy.ratified_on)
    return policy


def _in_review(w, u):
    policy = _policy(w, u)
    services.policy_review_start(policy=policy, by=w.users["head"])
    return policy


def _with_file(w, u):
    from django.core.files.base import ContentFile

    policy = PolicyFactory(school=w.school, title="Anti-bullying", listed_only=True)
    # One fixed file under PRIVATE_STORAGE_ROOT, written once (the matrix runs this often).
    name = "policies/tests/anti-bullying.pdf"
    if not policy.file.storage.exists(name):
        policy.file.storage.save(name, ContentFile(b"%PDF-1.4 test"))
    policy.file.name = name
    policy.save()
    return policy


def _published(w, u):
    policy = _policy(w, u)
    services.policy_publish(policy=policy, published=True)
    return reverse("public:policy", args=[w.school.urn, policy.slug])


def url(name, build, *extra):
    return lambda w, u: reverse(f"policies:{name}", args=[build(w, u).slug, *extra])


def _session(w, u):
    session = TrainingSession.objects.create(
        school=w.school, title="Induction", held_on="2026-09-03", topic="induction"
    )
    return reverse("policies:training_session", args=[session.pk])


def _other_session(w, u):
    session = TrainingSession.objects.create(
        school=w.other_school, title="Theirs", held_on="2026-09-03", topic="induction"
    )
    return reverse("policies:training_session", args=[session.pk])


ACCESS = {
    "policies:list": Case(lambda w, u: reverse("policies:list"), everyone(200)),
    "policies:create": Case(lambda w, u: reverse("policies:create"), only(*MANAGE, outsider=200)),
    "policies:detail": Case(url("detail", _policy), {**everyone(200), "outsider": 404}),
    "policies:detail#other_school": Case(
        url("detail", _other_policy), {**everyone(404), "outsider": 200}
    ),
    "policies:edit": Case(url("edit", _policy), only(*MANAGE, outsider=404)),
    "policies:file": Case(url("file", _with_file), {**everyone(200), "outsider": 404}),
    "policies:pdf": Case(url("pdf", _policy), {**everyone(200), "outsider": 404}),
    "policies:diff": Case(url("diff", _reviewed), {**everyone(200), "outsider": 404}),
    "policies:review_start": Case(
        url("review_start", _policy), only(*MANAGE, ok=302, outsider=404), method="post"
    ),
    "policies:draft": Case(url("draft", _in_review), only(*MANAGE, outsider=404)),
    "policies:ratify": Case(url("ratify", _in_review), only(*MANAGE, outsider=404)),
    "policies:trigger_create": Case(url("trigger_create", _policy), only(*MANAGE, outsider=404)),
    "policies:archive": Case(
        url("archive", _policy), only(*MANAGE, ok=302, outsider=404), method="post"
    ),
    "policies:acknowledge": Case(
        url("acknowledge", _policy), only(*STAFF, ok=302, outsider=404), method="post"
    ),
    "policies:version": Case(url("version", _reviewed, 1), {**everyone(200), "outsider": 404}),
    "policies:version#draft": Case(url("version", _in_review, 2), only(*MANAGE, outsider=404)),
    "policies:acknowledgements": Case(
        url("acknowledgements", _policy, 1), {**everyone(200), "outsider": 404}
    ),
    # The file names staff: only for those who see the names on the page.
    "policies:acknowledgements_csv": Case(
        url("acknowledgements_csv", _policy, 1),
        only("leadership", "dsl", "deputy_dsl", "head", outsider=404),
    ),
    "policies:training_csv": Case(
        lambda w, u: reverse("policies:training_csv"), only(*TRAINING, outsider=200)
    ),
    "policies:training": Case(
        lambda w, u: reverse("policies:training"), only(*TRAINING, outsider=200)
    ),
    "policies:training_create": Case(
        lambda w, u: reverse("policies:training_create"), only(*TRAINING, outsider=200)
    ),
    "policies:training_session": Case(_session, only(*TRAINING, outsider=404)),
    "policies:training_session#other_school": Case(
        _other_session, {**only(*TRAINING, ok=404), "outsider": 200}
    ),
    "policies:training_mine": Case(
        lambda w, u: reverse("policies:training_mine"), only(*STAFF, outsider=200)
    ),
    "policies:publish": Case(
        url("publish", _policy),
        only(*MANAGE, ok=302, outsider=404),
        method="post",
        data={"published": "1"},
    ),
    "policies:sending_new": Case(url("sending_new", _policy), only(*FAMILIES, outsider=404)),
    # The published policy for parents and pupils: anyone, signed in or not.
    "public:policy": Case(_published, everyone(200), login_required=False),
    "policies:training_settings": Case(
        lambda w, u: reverse("policies:training_settings"), only(*MANAGE, outsider=200)
    ),
    # Importing a policy from a file, and what its checks found (old editions, dead links).
    "policies:import": Case(lambda w, u: reverse("policies:import"), only(*MANAGE, outsider=200)),
    "policies:checks": Case(url("checks", _policy), only(*MANAGE, outsider=404)),
    "policies:checks#other_school": Case(
        url("checks", _other_policy), {**only(*MANAGE, ok=404), "outsider": 200}
    ),
    "policies:checks_links": Case(
        url("checks_links", _policy), only(*MANAGE, ok=302, outsider=404), method="post"
    ),
}
