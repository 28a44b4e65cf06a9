"""Importing a policy from a file, and what the import's checks found (guidance cited in an
older edition, links that do not answer). The checks themselves are in policies/editions.py
and policies/links.py; the links are checked by a task or a job, never in these requests."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from policies.editions import CURRENT_EDITIONS
from policies.forms import PolicyImportForm
from policies.importer import ImportProblem, import_warnings, policy_import
from policies.links import links_check_later, links_in, links_record
from policies.models import Policy
from roper.permissions import PermissionMixin, permission_required


class PolicyImportView(PermissionMixin, FormView):
    permission = "policies.manage"
    where = "active"
    form_class = PolicyImportForm
    template_name = "policies/policy_import.html"

    def form_valid(self, form):
        try:
            policy = policy_import(
                school=self.request.school,
                text=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                by=self.request.user,
            )
        except ImportProblem as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"{policy.title} imported. Check what the import found.")
        return redirect("policies:checks", slug=policy.slug)


def _policy(request, slug) -> Policy:
    """A policy of the school the user is working in, for someone who manages policies."""
    return Policy.objects.select_related("school").get_for_user(
        request.user, "policies.manage", school=request.school, slug=slug
    )


@permission_required("policies.manage", where="active")
def policy_checks(request, slug):
    """The import's checks of a policy: old editions cited, and each link's last check."""
    policy = _policy(request, slug)
    links = list(policy.links.all())
    stale, dead = import_warnings(policy=policy, links=links)
    return render(
        request,
        "policies/policy_checks.html",
        {
            "policy": policy,
            "stale": stale,
            "dead": dead,
            "links": links,
            "unrecorded": not links and bool(links_in(policy.body)),
            "editions": CURRENT_EDITIONS,
        },
    )


@require_POST
@permission_required("policies.manage", where="active")
def policy_links_recheck(request, slug):
    """Check the policy's links again (by a task, or the next run of the policy-links job)."""
    policy = _policy(request, slug)
    urls = links_record(policy=policy)
    links_check_later(policy=policy)
    messages.info(
        request,
        f"{len(urls)} link{'s' if len(urls) != 1 else ''} will be checked in the next few "
        "minutes: come back to this page to see what was found."
        if urls
        else "The policy has no external links.",
    )
    return redirect(reverse("policies:checks", args=[policy.slug]))
