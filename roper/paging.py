"""Lists paged 50 at a time, each page cut from one order.

A list sorted by values that tie (two Oliver Smiths; two breaches logged at 10:05; two
training sessions of one title on one day) is in no fixed order among the tied rows, and
PostgreSQL sorts each page with a heap of the rows up to it: page 2 may repeat a row of page 1
and the row that belonged there is on no page (300 learners of one name: two shown twice, two
never). `OneOrder` ends a paged list's order with the record's id, so ties fall one way on
every page."""

from django.db.models import QuerySet

UNIQUE = {"pk", "id", "-pk", "-id"}


def in_one_order(queryset: QuerySet) -> QuerySet:
    """`queryset` in its own order (its `order_by`, else its model's `ordering`), ties broken
    by the id in the direction of the last key."""
    query = queryset.query
    ordering = list(
        query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    )
    if any(isinstance(key, str) and key in UNIQUE for key in ordering):
        return queryset
    last = ordering[-1] if ordering else ""
    tie = "-pk" if isinstance(last, str) and last.startswith("-") else "pk"
    return queryset.order_by(*ordering, tie)


class OneOrder:
    """For a `ListView` with `paginate_by`: its pages cut from one order."""

    def paginate_queryset(self, queryset, page_size):
        return super().paginate_queryset(in_one_order(queryset), page_size)
