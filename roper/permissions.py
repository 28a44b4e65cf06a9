"""The one place that decides what a signed-in user may see and do.

- `roles_for(user, school)` — the roles a user holds in a school (school and trust memberships).
- `has_perm(user, permission, school)` — whether one of those roles holds the permission.
- `scope(queryset, user, permission)` — only rows of schools where the user holds it.
- `get_object_or_404(queryset, user, permission, **lookup)` — a record of a school the user
  does not belong to is a 404; a member without the right gets a 403.
- `guard(request, permission, where=...)` — the one check every view passes before it runs:
  403 for a user who does not hold the permission (in any of their schools, or in the school
  they are working in). `PermissionMixin` (class-based views, a `permission` attribute) and
  `@permission_required(...)` (function views) both call it, so both refuse alike.
- `SchoolScopedQuerySet.for_user(user, permission)` — the default manager's way to rows a user
  may see: views never filter by school themselves.
- `refused(user, obj, permission)` — writes a refused attempt on a logged record (a concern,
  a learner's chronology, a police hand-over) to the access log; the two above call it, and
  so does a view that refuses a record for a finer reason (incidents' visibility rule).

Memberships are read once per request and cached on the user object.
"""

from collections.abc import Callable
from functools import reduce, wraps
from typing import Literal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404 as _get_object_or_404
from django.views.generic.detail import SingleObjectMixin

from roper.roles import roles_holding

_CACHE_ATTR = "_roper_access"


def school_model():
    """The school model (settings.ROPER_SCHOOL_MODEL): roper imports no app."""
    return apps.get_model(settings.ROPER_SCHOOL_MODEL)


def membership_model():
    """The model of a user's roles in a school or trust (settings.ROPER_MEMBERSHIP_MODEL)."""
    return apps.get_model(settings.ROPER_MEMBERSHIP_MODEL)


def _access(user) -> tuple[dict[int, frozenset[str]], dict, dict[int, frozenset[str]]]:
    """({school id: roles}, {school id: School}, {trust id: roles}) for every school the
    user belongs to, directly or through a trust, and the user's trust-level roles. One or
    two queries, then cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}, {}, {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    Membership, School = membership_model(), school_model()
    roles: dict[int, set[str]] = {}
    schools = {}
    trust_roles: dict[int, set[str]] = {}
    for membership in Membership.objects.filter(user=user).select_related("school"):
        if membership.school_id:
            roles.setdefault(membership.school_id, set()).update(membership.roles)
            schools[membership.school_id] = membership.school
        else:
            trust_roles.setdefault(membership.trust_id, set()).update(membership.roles)
    if trust_roles:
        for school in School.objects.filter(trust_id__in=trust_roles):
            roles.setdefault(school.pk, set()).update(trust_roles[school.trust_id])
            schools[school.pk] = school
    result = (
        {sid: frozenset(r) for sid, r in roles.items()},
        schools,
        {tid: frozenset(r) for tid, r in trust_roles.items()},
    )
    setattr(user, _CACHE_ATTR, result)
    return result


def roles_by_school(user) -> dict[int, frozenset[str]]:
    return _access(user)[0]


def trust_roles(user) -> dict[int, frozenset[str]]:
    """{trust id: roles} of the user's trust-level memberships (read with the schools')."""
    return _access(user)[2]


def schools_of(user) -> list:
    """The schools the user belongs to, by name."""
    return sorted(_access(user)[1].values(), key=lambda school: school.name)


def _school_id(school) -> int | None:
    if school is None:
        return None
    return school.pk if isinstance(school, Model) else int(school)


def roles_for(user, school) -> frozenset[str]:
    return roles_by_school(user).get(_school_id(school), frozenset())


def has_perm(user, permission: str, school) -> bool:
    return bool(roles_for(user, school) & roles_holding(permission))


def schools_with(user, permission: str) -> list[int]:
    """Ids of the schools in which the user holds the permission."""
    allowed = roles_holding(permission)
    return sorted(sid for sid, roles in roles_by_school(user).items() if roles & allowed)


def member_of(user) -> list[int]:
    return sorted(roles_by_school(user))


def holders(school, permission: str | None = None, *, roles=None) -> list:
    """The active users who hold a permission (or one of `roles`) in a school, directly or
    through its trust, by name (the rule is people's: `Membership.objects.holders`)."""
    return membership_model().objects.holders(school, roles=roles, permission=permission)


def holders_roles(school, permission: str) -> dict:
    """{user: their roles in the school} for the active users who hold a permission there,
    directly or through its trust, in one query (`Membership.objects.holders_roles`)."""
    return membership_model().objects.holders_roles(school, permission=permission)


def scope(queryset: QuerySet, user, permission: str, school_field: str = "school") -> QuerySet:
    """Rows of the schools where the user holds `permission`; nothing for anyone else."""
    return queryset.filter(**{f"{school_field}__in": schools_with(user, permission)})


class SchoolScopedQuerySet(QuerySet):
    """The base queryset (and, `.as_manager()`, default manager) of every school-owned model.

    `for_user(user, permission)` is the one way a view asks for rows: those of the schools
    where the user holds `permission`, and, given `school`, of that school only (the school
    they are working in). A model reached through another (a custody event through its
    confiscation) sets `school_field` on its queryset, e.g. "confiscation__school"."""

    school_field = "school"

    def for_user(self, user, permission: str, *, school=None) -> "SchoolScopedQuerySet":
        qs = scope(self, user, permission, self.school_field)
        if school is not None:
            qs = qs.filter(**{self.school_field: school})
        return qs

    def get_for_user(self, user, permission: str, *, school=None, **lookup):
        """One row, or 404 (another school's, or not of `school` when given) / 403 (the
        user's school, not their right): `get_object_or_404` below."""
        qs = self if school is None else self.filter(**{self.school_field: school})
        return get_object_or_404(qs, user, permission, self.school_field, **lookup)


def school_of(obj, school_field: str = "school") -> int:
    """The school id of a record, following a `__` path such as `learner__school`."""
    *path, last = school_field.split("__")
    target = reduce(getattr, path, obj)
    return getattr(target, f"{last}_id")


#: The records whose views are written to the access log (DESIGN.md), by (model label,
#: permission asked for) -> the access log entry of an attempt on one: a refused attempt is
#: logged too, for the DSL to see on the record's access list. None: this record is not logged.
#: The apps register their records (`audit`, from their AppConfig.ready): roper imports no app.
AUDITED: dict[tuple[str, str], Callable[[Model], dict | None]] = {}


def audit(label: str, permission: str, entry: Callable[[Model], dict | None]) -> None:
    """Log every view of a `label` record asked with `permission`, refusals included."""
    AUDITED[(label.lower(), permission)] = entry


def _audited(model, permission: str) -> Callable | None:
    return AUDITED.get((model._meta.label_lower, permission))


def refused(user, obj, permission: str, school_field: str = "school") -> None:
    """Log a refused attempt by `user` on `obj`, when views of it are logged."""
    audit = _audited(obj, permission) if obj is not None else None
    entry = audit(obj) if audit else None
    if entry is None or not getattr(user, "is_authenticated", False):
        return
    from roper.models import AccessLog

    AccessLog.record_access(
        user=user,
        school=school_of(obj, school_field),
        outcome=AccessLog.Outcome.REFUSED,
        **entry,
    )


def get_object_or_404(
    queryset: QuerySet, user, permission: str, school_field: str = "school", **lookup
):
    """Another school's record is a 404 (its existence is not revealed); a record of the
    user's own school that their roles do not cover is a 403. Either refusal of a logged
    record is logged."""
    try:
        obj = _get_object_or_404(
            queryset.filter(**{f"{school_field}__in": member_of(user)}), **lookup
        )
    except Http404:
        if _audited(queryset.model, permission):
            refused(user, queryset.filter(**lookup).first(), permission, school_field)
        raise
    if not has_perm(user, permission, school_of(obj, school_field)):
        refused(user, obj, permission, school_field)
        raise PermissionDenied
    return obj


def require(user, permission: str, school) -> None:
    """Raise 403 unless the user holds the permission in this school (a finer check inside a
    view that `guard` already let in: the record's own school, a second permission)."""
    if not has_perm(user, permission, school):
        raise PermissionDenied


#: Where `guard` looks for the permission: in any school of the user's ("any": a list scoped
#: to those schools, a record whose own school then decides), or in the school they are
#: working in ("active": a page or a new record of that school).
Where = Literal["any", "active"]


def guard(request, *permissions: str, where: Where = "any", on_refusal=None) -> None:
    """The one check before a view runs: 403 unless the user holds one of `permissions`
    (anywhere, or in `request.school`). `on_refusal()` logs the refusal of the record the URL
    names, when views of it are logged."""
    if not permissions:
        raise ValueError("A guarded view names its permission.")
    user = request.user
    if where == "active":
        allowed = any(has_perm(user, p, request.school) for p in permissions)
    elif where == "any":
        allowed = any(schools_with(user, p) for p in permissions)
    else:
        raise ValueError(f"Unknown where={where!r}")
    if allowed:
        return
    if on_refusal is not None:
        on_refusal()
    raise PermissionDenied


def permission_required(
    *permissions: str,
    where: Where = "any",
    model=None,
    pk_kwarg: str = "pk",
    school_field: str = "school",
) -> Callable:
    """`guard` for a function view: `@permission_required("devices.desk", where="active")`.

    With `model`, a refused request for a logged record (the URL's `pk_kwarg`) is logged, as
    `PermissionMixin` does. The permission is kept on the view (`view.guarded_by`), for the
    test that every URL is guarded."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            def log_refusal():
                pk = kwargs.get(pk_kwarg)
                if model is None or pk is None or not _audited(model, permissions[0]):
                    return
                obj = model._default_manager.filter(pk=pk).first()
                refused(request.user, obj, permissions[0], school_field)

            guard(request, *permissions, where=where, on_refusal=log_refusal)
            return view(request, *args, **kwargs)

        guarded.guarded_by = (permissions, where)
        return guarded

    return decorator


class PermissionMixin:
    """For class-based views. Set `permission`; optionally `where` and `school_field`.

    - The view is refused (403) by `guard`: to a user who holds the permission in no school
      (`where = "active"`: not in the school they are working in).
    - A list's `get_queryset()` is scoped to the schools where the user holds it (with
      `where = "active"`, to that school only).
    - A single-object view gives 404 for another school's record and 403 for a record of the
      user's school that their roles do not cover. Either refusal of a logged record is logged.
    """

    permission: str = ""
    where: Where = "any"
    school_field: str = "school"

    def dispatch(self, request, *args, **kwargs):
        if not self.permission:
            raise ValueError(f"{type(self).__name__} must set `permission`.")
        guard(request, self.permission, where=self.where, on_refusal=lambda: self._refused(None))
        return super().dispatch(request, *args, **kwargs)

    def _refused(self, obj) -> None:
        """Log the refusal of `obj`, or of the record the URL names when it was not loaded."""
        model = getattr(self, "model", None)
        if not isinstance(self, SingleObjectMixin) or model is None:
            return
        if not _audited(model, self.permission):
            return
        if obj is None:
            pk = self.kwargs.get(self.pk_url_kwarg)
            obj = model._default_manager.filter(pk=pk).first() if pk is not None else None
        refused(self.request.user, obj, self.permission, self.school_field)

    def get_queryset(self):
        qs = super().get_queryset()
        user = self.request.user
        if isinstance(self, SingleObjectMixin):
            qs = qs.filter(**{f"{self.school_field}__in": member_of(user)})
        else:
            qs = scope(qs, user, self.permission, self.school_field)
        if self.where == "active":
            qs = qs.filter(**{self.school_field: self.request.school})
        return qs

    def get_object(self, queryset=None):
        try:
            obj = super().get_object(queryset)
        except Http404:
            self._refused(None)
            raise
        if not has_perm(self.request.user, self.permission, school_of(obj, self.school_field)):
            self._refused(obj)
            raise PermissionDenied
        return obj
