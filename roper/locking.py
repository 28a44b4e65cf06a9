"""Lock a row, re-check the rule on its current state, change it: the one pattern for a state
change that can race (two desks, two approvers, two clicks).

    with locked(handover, check=lambda h: "Already collected." if h.out_at else None) as h:
        h.out_at = now
        h.save()
        DeskEntry.objects.create(...)  # the log line, in the same transaction

Inside `transaction.atomic()`, the row is read again with `select_for_update()`: a second
request waits for the first to commit, then sees what it did. `check(row)` returns a refusal
message (raised as `Refused`, so nothing is changed) or None. A queryset may be given instead
of a row: its first row is locked, and the check sees None when it has none.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Model, QuerySet

from roper.errors import Refused


@contextmanager
def locked(
    target: Model | QuerySet,
    *,
    check: Callable[[Model | None], str | None] | None = None,
    related: tuple[str, ...] = (),
) -> Iterator:
    with transaction.atomic():
        if isinstance(target, QuerySet):
            qs = target
        else:
            qs = type(target)._default_manager.filter(pk=target.pk)
        if related:
            # Only this table's row is locked, not the rows joined for reading.
            qs = qs.select_related(*related).select_for_update(of=("self",))
        else:
            qs = qs.select_for_update()
        row = qs.first() if isinstance(target, QuerySet) else qs.get()
        if check is not None:
            problem = check(row)
            if problem:
                raise Refused(problem)
        yield row
