"""What a sign-in through an identity provider may do (README, "Single sign-on"):

- the ID token must come from the school's own organisation: Entra's tenant (`tid`), Google's
  hosted domain (`hd`);
- the first time, the person is matched to an existing, active Roper account of the provider's
  schools by an email address the provider vouches for (Google's `email_verified`; an Entra
  tenant's addresses are its own directory's), or the request waits for the school's admin;
- nobody gets a role, or an account, by signing in;
- two-factor counts as done when the ID token says the provider asked for it (`amr`, or
  Entra's authentication context in `acrs`).

Every claim read here is from the ID token whose signature `sso.provider.Adapter` checked."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from people.models import Membership
from people.services import SignInFact, sign_in_approval_needed, sign_in_date, sign_in_fact
from sso.models import IdentityProvider, SignInRequest

#: `amr` values that mean more than one factor: RFC 8176's "mfa" (Entra's v1 tokens and most
#: providers), and Entra's "ngcmfa" (Windows Hello for Business, passwordless sign-in).
MFA_METHODS = frozenset({"mfa", "ngcmfa"})


class Refused(Exception):
    """The provider vouched for someone this school's sign-in does not accept; the message is
    for them."""


def claims_check(*, provider: IdentityProvider, claims: dict) -> None:
    """Refuse an account of another organisation than the school's."""
    if provider.kind == IdentityProvider.Kind.ENTRA:
        if str(claims.get("tid", "")).lower() != provider.tenant_id.lower():
            raise Refused(
                "That Microsoft account belongs to another organisation. Sign in with your "
                "school account."
            )
    elif str(claims.get("hd", "")).lower() != provider.domain.lower():
        raise Refused(
            "That Google account is not one of your school's. Sign in with your school account."
        )


def email_vouched(*, provider: IdentityProvider, claims: dict) -> bool:
    """Whether the provider vouches that the address is the person's. Entra: the tenant is the
    school's (checked first), whose directory holds its staff's addresses. Google: it says
    so (`email_verified`)."""
    if not claims.get("email"):
        return False
    if provider.kind == IdentityProvider.Kind.ENTRA:
        return True
    return claims.get("email_verified") in (True, "true")


def mfa_asserted(*, provider: IdentityProvider, claims: dict) -> bool:
    """Whether the provider says it asked for more than one factor: `amr` (RFC 8176), or for
    Entra (whose v2.0 ID tokens carry no `amr`) the school's MFA authentication context in
    `acrs`."""
    amr = claims.get("amr") or []
    if isinstance(amr, list) and MFA_METHODS & {str(method) for method in amr}:
        return True
    acrs = claims.get("acrs") or []
    return (
        provider.kind == IdentityProvider.Kind.ENTRA
        and bool(provider.mfa_auth_context)
        and isinstance(acrs, list)
        and provider.mfa_auth_context in acrs
    )


def account_match(*, provider: IdentityProvider, email: str):
    """The one active account of the provider's schools with that email address, or None (no
    account, or several: the admin decides)."""
    members = Membership.objects.in_schools(provider.school_ids()).values("user_id")
    found = list(
        get_user_model().objects.filter(pk__in=members, is_active=True, email__iexact=email)[:2]
    )
    return found[0] if len(found) == 1 else None


def account_may_sign_in(*, provider: IdentityProvider, user) -> bool:
    """A linked account still signs in only while active and a member of the provider's
    schools."""
    if not user.is_active:
        return False
    return Membership.objects.in_schools(provider.school_ids()).filter(user=user).exists()


def sign_in_request_record(*, provider: IdentityProvider, claims: dict) -> SignInRequest:
    """Someone the provider vouched for, with no account: kept for the admin, once per person
    (signing in again only updates it). Nothing is created or activated."""
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    request, created = SignInRequest.objects.update_or_create(
        provider=provider,
        subject=str(claims["sub"]),
        defaults={
            "school_id": provider.school_ids()[0],
            "email": str(claims.get("email") or "")[:254],
            "email_verified": email_vouched(provider=provider, claims=claims),
            "name": str(name)[:200],
        },
    )
    if created:
        _tell_admins(request)
    return request


def _tell_admins(sign_in_request: SignInRequest) -> None:
    """The school's admins hear of a new request (once), with a link to decide it."""
    from django.urls import reverse

    from roper.admin_site import ADMIN
    from roper.notifications import notification_send
    from roper.permissions import holders

    school = sign_in_request.school
    notification_send(
        recipients=holders(school, ADMIN),
        school=school,
        title="Someone signed in with the school's account and awaits approval",
        url=reverse("admin:sso_signinrequest_change", args=[sign_in_request.pk]),
    )


def sign_in_request_link(*, sign_in_request: SignInRequest, user, by) -> None:
    """The admin's decision: this person signs in to that existing account. The account keeps
    its roles; the link gives none. An account that reads safeguarding records, or is waiting
    for such a role, is linked only by whoever runs the server (a superuser): the school's
    admin could otherwise sign in as the DSL through an identity of their own making. The
    rule is the one that makes a new password wait for approval (people.services); the link
    is refused rather than left waiting, as for a role held: an approver cannot tell whose
    identity it is, and the person can sign in with the address their account has."""
    from allauth.socialaccount.models import SocialAccount

    provider = sign_in_request.provider
    if sign_in_request.status == SignInRequest.Status.LINKED:
        raise ValidationError("This request is already linked to an account.")
    if not account_may_sign_in(provider=provider, user=user):
        raise ValidationError("Choose an active account of the provider's school.")
    if sign_in_approval_needed(user=user, by=by) is not None:
        raise ValidationError(
            "This account reads safeguarding records, or is waiting for such a role: ask "
            "whoever runs Roper's server to link it, or let the person sign in with the email "
            "address their account has."
        )
    with transaction.atomic():
        locked = SignInRequest.objects.select_for_update().get(pk=sign_in_request.pk)
        if locked.status == SignInRequest.Status.LINKED:  # two admins at once
            raise ValidationError("This request is already linked to an account.")
        SocialAccount.objects.update_or_create(
            provider=provider.provider_id, uid=locked.subject, defaults={"user": user}
        )
        locked.status = SignInRequest.Status.LINKED
        locked.user = user
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save()
    sign_in_request.refresh_from_db()


def sign_in_request_decline(*, sign_in_request: SignInRequest, by) -> None:
    sign_in_request.status = SignInRequest.Status.DECLINED
    sign_in_request.decided_by = by
    sign_in_request.decided_at = timezone.now()
    sign_in_request.save(update_fields=["status", "decided_by", "decided_at", "last_seen"])


def linked_identity_facts(*, user, school_id: int) -> list[SignInFact]:
    """The single sign-on identities that sign in to the account (for the approver of a
    safeguarding role, people.services.sign_in_facts), each with who linked it: the admin,
    deciding a sign-in request, or its own first sign-in, matched by its email address."""
    from allauth.socialaccount.models import SocialAccount

    providers = {p.provider_id: p for p in IdentityProvider.objects.all()}  # a few rows
    if not providers:
        return []  # Roper signs in with passwords only
    accounts = list(SocialAccount.objects.filter(user=user, provider__in=providers))
    if not accounts:
        return [SignInFact("Single sign-on", "no Microsoft or Google account linked")]
    links = {
        (link.provider.provider_id, link.subject): link
        for link in SignInRequest.objects.filter(
            user=user, status=SignInRequest.Status.LINKED
        ).select_related("provider", "decided_by")
    }
    facts = []
    for account in accounts:
        kind = providers[account.provider].button_label.removeprefix("Sign in with ")
        link = links.get((account.provider, account.uid))
        claims = (account.extra_data or {}).get("id_token") or {}
        who = claims.get("email") or (link.email if link else "") or account.uid
        text = f"{kind} account {who}"
        if link is None:
            facts.append(
                SignInFact(
                    "Single sign-on",
                    f"{text}, matched by its email address at its first sign-in on "
                    f"{sign_in_date(account.date_joined)}",
                )
            )
            continue
        by = link.decided_by
        facts.append(
            sign_in_fact(
                user=user,
                label="Single sign-on",
                text=f"{text}, linked",
                at=link.decided_at,
                by_id=link.decided_by_id,
                by_name=(by.get_full_name() or by.get_username()) if by else "",
                warning=lambda name, date, person, text=text: (
                    f"{name} linked the {text} to this account on {date}: ask {person} "
                    "whether it is their own."
                ),
            )
        )
    return facts
