"""Every figure of the governors' report, in one place.

A report covers *spans*: one school over a range of days (a term, the previous term, the
same term last year, or "this term so far"). `figures_for(spans)` computes every figure for
all the spans at once, each section with a fixed number of aggregate queries (GROUP BY the
span, conditional counts); the number of queries does not grow with the number of rows, of
spans or of schools. Python only finishes small, already-aggregated lists: the median of a
term's daily handover counts, and from one bounded list of (time to triage, deadline) per
concern of the spans, the median and longest time and how many were triaged in time.

A term's span runs from the day after the previous term ended (the holiday before a term is
reported with it, so that no concern falls between two reports) to the term's last day.

Derived figures (the models do not hold them as such):
- time to triage: from `Concern.reported_at` to its first triage `incidents.Entry`; in time
  when that entry is no later than `Concern.deadline` (set from the category's rule);
- route: the chair for an allegation about the headteacher (`Concern.is_about_head`), else
  the owner role of the concern's category (DSL or deputy DSL → DSL, headteacher); LADO and
  police: concerns with a referral entry of that kind;
- referrals in time: for each referral its category requires, a referral entry of that kind
  whose `referred_at` (or, if blank, when it was recorded) is no later than the concern's
  deadline;
- escalated: `Concern.escalation_level` above 0;
- withdrawn concerns (a duplicate, or reported in error) are not counted at all
  (`Concern.objects.counted()`); a contact with the parents/carers recorded on a concern
  counts as its "parents/carers informed" referral (`Entry.RECORDS_REFERRAL`);
- outcome: the concern's status now (the outcome itself is free text and never shown);
- policies: acknowledgements of the version current at the span's end by the school's
  present staff; training up to date at the span's end by the school's refresher cycle.

Figures are computed for a viewer: a concern concealed from them (one naming them as a
subject; for a headteacher, an allegation about the headteacher) is not counted, nor are its
entries or the confiscations linked to it (`incidents.visibility.without_concealed`), so no
figure the viewer can read moves with a record they must not learn of. With no viewer (a job),
everything is counted.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Concat
from django.utils import timezone

from devices.models import (
    OPEN_STATES,
    Confiscation,
    ConfiscationReason,
    CurriculumUseRequest,
    CustodyState,
    DayReconciliation,
    Decision,
    Handover,
    LearnerExemption,
    ParentContactException,
    StaffException,
)
from incidents.models import Category, Concern, Entry, Referral
from incidents.visibility import without_concealed
from people.calendar import SchoolCalendar, is_working_day
from people.models import Membership, Term
from policies.models import (
    Acknowledgement,
    Policy,
    PolicyVersion,
    ReviewTrigger,
    TrainingAttendance,
    TrainingSettings,
    add_months,
)
from reports import cache as report_cache
from roper.roles import STAFF, Role

ROUTES = [("dsl", "DSL"), ("headteacher", "Headteacher"), ("chair", "Chair of governors")]
REFERRAL_ROUTES = [(Referral.LADO, "LADO"), (Referral.POLICE, "Police")]
CONFISCATION_ENDS = [
    ("parent", "Released to parent/carer"),
    ("police", "Handed to police"),
    ("held", "Still held"),
]


# -- spans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """One school over a range of days, [start, end] inclusive (Europe/London dates)."""

    school_id: int
    start: date
    end: date
    term: Term | None = None
    #: The term's own days (school days are counted inside them only).
    term_start: date | None = None
    term_end: date | None = None

    @property
    def label(self) -> str:
        return str(self.term) if self.term else f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        """The first moment after the span."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def school_days(self) -> int:
        """Working days (weekdays that are not bank holidays) inside the term's own dates."""
        first = max(self.start, self.term_start or self.start)
        last = min(self.end, self.term_end or self.end)
        days = (last - first).days + 1
        return sum(is_working_day(first + timedelta(n)) for n in range(max(days, 0)))


def span_for_term(term: Term, terms: list[Term], *, today: date | None = None) -> Span:
    """The span a term's report covers; `terms` are the school's terms in date order. A term
    not yet over ends today ("this term so far")."""
    start = SchoolCalendar(terms=terms).span_start(term)
    end = term.ends_on
    if today is not None and today < end:
        end = max(today, start)
    return Span(term.school_id, start, end, term, term.starts_on, term.ends_on)


def same_term_last_year(term: Term, terms: list[Term]) -> Term | None:
    return next(
        (
            t
            for t in terms
            if t.season == term.season and t.starts_on.year == term.starts_on.year - 1
        ),
        None,
    )


# -- figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    span: Span
    concerns: dict = field(default_factory=dict)
    by_category: dict = field(default_factory=dict)
    devices: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    lessons: dict = field(default_factory=dict)
    #: policy title -> (opened, done) reviews opened from lessons learnt in the span.
    reviews: dict = field(default_factory=dict)
    #: The present staff of the span's school (user ids), whom the policy figures count.
    staff: frozenset = frozenset()


class _Spans(Expression):
    """The spans' conditions on one pair of columns (the school's, the moment's or the
    day's), written straight to SQL: as a filter, whether a row falls in any span
    (`bucket=False`); as a value, the index of the first span it falls in, or -1. The SQL is
    what `Case(When(Q(...)))` over each span wrote, without building and resolving three
    lookups a span for each of the report's dozen queries (~10 ms of CPU a first view)."""

    def __init__(self, bounds: tuple, field_name: str, *, school: str, dates: bool, bucket: bool):
        """`bounds`: (school id, first, last) of each span, the days' (`dates`: BETWEEN) or
        the moments' (first, first after)."""
        super().__init__(output_field=IntegerField() if bucket else BooleanField())
        self.bounds, self.dates, self.bucket = bounds, dates, bucket
        self.refs = [F(school), F(field_name)]

    def get_source_expressions(self):
        return self.refs

    def set_source_expressions(self, exprs):
        self.refs = list(exprs)

    def as_sql(self, compiler, connection):
        (school, _), (moment, _) = (compiler.compile(ref) for ref in self.refs)
        if self.dates:
            condition = f"({school} = %s AND {moment} BETWEEN %s AND %s)"
            adapt = connection.ops.adapt_datefield_value
        else:
            condition = f"({school} = %s AND {moment} >= %s AND {moment} < %s)"
            adapt = connection.ops.adapt_datetimefield_value
        conditions, params = [condition] * len(self.bounds), []
        for school_id, first, last in self.bounds:
            params += [school_id, adapt(first), adapt(last)]
        if not self.bucket:
            return f"({' OR '.join(conditions) or '1 = 0'})", params
        whens = "".join(f" WHEN {c} THEN {i}" for i, c in enumerate(conditions))
        return f"CASE{whens} ELSE -1 END", params


def _bucket(spans: list[Span], field_name: str, *, dates: bool = False, school="school_id"):
    """(filter, bucket expression): rows of any span, and the index of the span they fall in."""
    bounds = tuple(
        (span.school_id, span.start, span.end)
        if dates
        else (span.school_id, span.start_at, span.end_before)
        for span in spans
    )
    return tuple(
        _Spans(bounds, field_name, school=school, dates=dates, bucket=bucket)
        for bucket in (False, True)
    )


def _rows(queryset, spans, field_name, *, dates=False, school="school_id", group=(), **aggs):
    match, bucket = _bucket(spans, field_name, dates=dates, school=school)
    return (
        queryset.filter(match)
        .annotate(span=bucket)
        .values("span", *group)
        .annotate(**aggs)
        .order_by()
    )


def _rows_by_span(queryset, spans, field_name, *, group=(), **aggs):
    """As `_rows` for a date field, as one UNION ALL of one SELECT per span: each is a range
    scan of a (school, date) index that PostgreSQL can answer from the index alone, where
    the OR of every span made it read the school's whole history."""
    selects = [
        queryset.filter(
            **{"school_id": span.school_id, f"{field_name}__range": (span.start, span.end)}
        )
        .annotate(span=Value(i, output_field=IntegerField()))
        .values("span", *group)
        .annotate(**aggs)
        .order_by()
        for i, span in enumerate(spans)
    ]
    return selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]


def _median(values):
    return statistics.median(values) if values else None


def medians_in_sql(queryset) -> bool:
    """Whether the database computes medians (PostgreSQL); elsewhere (SQLite, on a laptop)
    Python computes them from the rows, with the same result."""
    return connections[queryset.db].vendor == "postgresql"


def _as_python_median(value, count: int):
    """PostgreSQL's median as `statistics.median` gives it: of an odd number of values, the
    middle one itself (an int stays an int); of an even number, the mean of the two."""
    if value is None or isinstance(value, timedelta) or count % 2 == 0:
        return value
    return int(value) if float(value).is_integer() else value


def figures_for(spans: list[Span], *, today: date | None = None, viewer=None) -> list[Figures]:
    """The figures of each span, in the order given, as `viewer` may read them."""
    return figures_and_trend(spans, [], today=today, viewer=viewer)[0]


def figures_and_trend(
    spans: list[Span], trend: list[Span], *, today: date | None = None, viewer=None
) -> tuple[list[Figures], list[int]]:
    """`figures_for(spans)` and `concern_trend(trend)` at once: the trend's spans that are
    among `spans` (a report's term, the previous term, the same term last year) or apart
    from them (its other terms) are counted by the figures' own query of the concerns."""
    today = today or SchoolCalendar.today()
    result = [Figures(span) for span in spans]
    if not spans:
        return result, concern_trend(trend, viewer=viewer)
    school_ids = sorted({s.school_id for s in spans})
    categories = list(
        Category.objects.filter(school_id__in=school_ids).values_list("pk", "required_referrals")
    )
    # A span that overlaps a figures' span without being one would lose the concerns they
    # share (each concern is counted in the first span it falls in): counted on its own.
    apart = [t for t in trend if t in spans or not any(_overlap(t, s) for s in spans if s != t)]
    counted = _concerns(spans, result, categories, viewer, also=apart)
    _devices(spans, result, viewer, today)
    _policies(spans, result, school_ids, today)
    _lessons(spans, result, viewer)
    rest = [t for t in trend if not any(s == t for s, _ in counted)]
    counted += zip(rest, concern_trend(rest, viewer=viewer), strict=True)
    return result, [next(n for s, n in counted if s == t) for t in trend]


def _overlap(a: Span, b: Span) -> bool:
    return a.school_id == b.school_id and a.start <= b.end and b.start <= a.end


def category_labels(school_ids) -> dict[str, str]:
    """category key -> name, in the schools' order (a school may have renamed one: the first
    school's name is used)."""
    labels = {}
    for key, name in (
        Category.objects.filter(school_id__in=school_ids)
        .order_by("order", "school_id")
        .values_list("key", "name")
    ):
        labels.setdefault(key, name)
    return labels


#: The statuses of the concerns counted (a withdrawn concern is not: `counted()`).
COUNTED_STATUSES = [s for s in Concern.Status.values if s != Concern.Status.WITHDRAWN]


def _concerns(spans, result, categories, viewer, also=()) -> list[tuple[Span, int]]:
    """The concern figures of `spans` into `result`; returns (span, number of concerns) for
    each span of `spans` and `also` (spans that overlap none of `spans` but may be one)."""
    concerns = without_concealed(Concern.objects.counted(), viewer)
    required = {kind: [] for kind in Referral.values}
    for pk, kinds in categories:
        for kind in kinds or []:
            required.setdefault(kind, []).append(pk)
    aggs = {
        "total": Count("pk"),
        "escalated": Count("pk", filter=Q(escalation_level__gt=0)),
        "lessons_learnt": Count("pk", filter=~Q(lessons_learnt="")),
        "route_chair": Count("pk", filter=Q(is_about_head=True)),
        "route_headteacher": Count(
            "pk", filter=Q(is_about_head=False, category__owner_role=Role.HEADTEACHER)
        ),
        "route_dsl": Count(
            "pk", filter=Q(is_about_head=False) & ~Q(category__owner_role=Role.HEADTEACHER)
        ),
    }
    for status in COUNTED_STATUSES:
        aggs[f"status_{status}"] = Count("pk", filter=Q(status=status))
    for kind in Referral.values:
        if required[kind]:
            aggs[f"required_{kind}"] = Count("pk", filter=Q(category_id__in=required[kind]))
    # Per span and category: the span's figures are the sum of its categories' (a query of
    # its own for the categories read the same concerns again).
    every = [*spans, *(t for t in also if t not in spans)]
    totals = [0] * len(every)
    for row in _rows(concerns, every, "reported_at", group=("category__key",), **aggs):
        if row["span"] < 0:
            continue
        totals[row["span"]] += row["total"]
        if row["span"] < len(spans):
            fig = result[row["span"]]
            for key in aggs:
                fig.concerns[key] = fig.concerns.get(key, 0) + row[key]
            fig.by_category[row["category__key"]] = row["total"]

    # Referrals made, and made in time where the category requires them: one pass over the
    # referral entries, grouped by span and kind.
    needed = Q(pk__in=[])
    for kind, ids in required.items():
        if ids:
            needed |= Q(recorded=kind, concern__category_id__in=ids)
    on_time = Q(referred_at__lte=F("concern__deadline")) | Q(
        referred_at__isnull=True, at__lte=F("concern__deadline")
    )
    for row in _rows(
        # A contact with the parents records "parents/carers informed", as on the concern.
        without_concealed(
            Entry.objects.recording_referrals().exclude(concern__status=Concern.Status.WITHDRAWN),
            viewer,
            "concern",
        ),
        spans,
        "concern__reported_at",
        school="concern__school_id",
        group=("recorded",),
        made=Count("concern", distinct=True),
        made_required=Count("concern", distinct=True, filter=needed),
        in_time=Count("concern", distinct=True, filter=needed & on_time),
    ):
        if row["span"] >= 0:
            c = result[row["span"]].concerns
            kind = row["recorded"]
            c[f"made_{kind}"] = row["made"]
            c[f"in_time_{kind}"] = row["in_time"]
            c[f"late_{kind}"] = row["made_required"] - row["in_time"]

    # Time to triage: from each concern of the spans to its first triage entry; how many,
    # how many in time, the median and the longest, per span (in one query on PostgreSQL).
    triaged = _triage_times(concerns, spans)

    for i, fig in enumerate(result):
        c = fig.concerns
        c.setdefault("total", 0)
        for key in aggs:
            c.setdefault(key, 0)
        for kind in Referral.values:
            for prefix in ("made", "in_time", "late"):
                c.setdefault(f"{prefix}_{kind}", 0)
        c["route"] = {key: c[f"route_{key}"] for key, _ in ROUTES}
        c["referral_route"] = {kind: c[f"made_{kind}"] for kind, _ in REFERRAL_ROUTES}
        c["status"] = {s: c[f"status_{s}"] for s in COUNTED_STATUSES}
        c["referrals"] = {k: c[f"made_{k}"] for k in Referral.values}
        c["referrals_required"] = sum(c.get(f"required_{k}", 0) for k in Referral.values)
        c["referrals_in_time"] = sum(c[f"in_time_{k}"] for k in Referral.values)
        c["referrals_late"] = sum(c[f"late_{k}"] for k in Referral.values)
        c["referrals_missing"] = (
            c["referrals_required"] - c["referrals_in_time"] - c["referrals_late"]
        )
        t = triaged.get(i, {})
        c["triaged"] = t.get("triaged", 0)
        c["triaged_in_time"] = t.get("in_time", 0)
        c["triaged_late"] = c["triaged"] - c["triaged_in_time"]
        c["untriaged"] = c["total"] - c["triaged"]
        c["median_triage"] = t.get("median")
        c["longest_triage"] = t.get("longest")
    return list(zip(every, totals, strict=True))


def _triage_times(concerns, spans) -> dict[int, dict]:
    """span index -> {triaged, in_time, median, longest} of the concerns of the spans that
    have a triage entry: the time from the report to the first one, in time when it is no
    later than the concern's deadline."""
    triage = Entry.objects.filter(concern=OuterRef("pk"), kind=Entry.Kind.TRIAGE)
    match, bucket = _bucket(spans, "reported_at")
    rows = (
        concerns.filter(match)
        .annotate(span=bucket, first_triage=Subquery(triage.order_by("at").values("at")[:1]))
        .values_list("span", "reported_at", "deadline", "first_triage")
        .order_by()
    )
    if medians_in_sql(concerns):
        # Over the concerns' rows, each first triage looked up once.
        sql, params = rows.query.sql_with_params()
        with connections[concerns.db].cursor() as cursor:
            cursor.execute(PER_SPAN_TRIAGE.format(concerns=sql), params)
            return {
                span: {"triaged": n, "in_time": in_time, "median": median, "longest": longest}
                for span, n, in_time, median, longest in cursor
            }
    # Elsewhere: one (report, first triage, deadline) per concern of the spans.
    times: dict[int, list[tuple]] = {}
    for span, reported_at, due, triaged_at in rows:
        if triaged_at is not None:
            times.setdefault(span, []).append((triaged_at - reported_at, triaged_at, due))
    return {
        span: {
            "triaged": len(rows),
            "in_time": sum(1 for _, at, due in rows if due is not None and at <= due),
            "median": _median([took for took, _, _ in rows]),
            "longest": max(took for took, _, _ in rows),
        }
        for span, rows in times.items()
    }


#: The inner SQL of these two is Django's (its params passed apart): nothing typed in it.
#: MATERIALIZED: else PostgreSQL inlines the rows and looks each first triage up once per use.
PER_SPAN_TRIAGE = (
    "WITH concerns AS MATERIALIZED ({concerns})"
    " SELECT span, COUNT(*), COUNT(*) FILTER (WHERE first_triage <= deadline),"
    " PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY first_triage - reported_at),"
    " MAX(first_triage - reported_at)"
    " FROM concerns WHERE first_triage IS NOT NULL GROUP BY span"
)
PER_SPAN_DAYS = (
    "SELECT span, COUNT(*), SUM(n), SUM(n - collected), COUNT(*) FILTER (WHERE n > collected),"
    " PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY n) FROM ({days}) AS days GROUP BY span"
)


def _handover_days(spans, today: date) -> dict[int, dict]:
    """span index -> {days, handovers, not_collected, days_not_collected, median}: the school
    days of the span with phones handed in, and the median of their daily counts.

    The daily counts are the dearest figures (every handover of three terms). Those of past
    days change only by a late edit of a handover, which gives the school's handovers of that
    month a version of their own (reports/cache.py `handovers_of`): the counts of a completed
    span's days are cached by month under it, apart from the report, so that a change to
    anything else (a concern triaged, today's check-ins) does not read them again, and a late
    edit reads its month again, not the three terms."""
    done = [i for i, span in enumerate(spans) if span.end < today]
    if not report_cache.enabled() or not done:
        return _handover_days_read(spans)
    months = {i: _months(spans[i], today) for i in done}
    counts = report_cache.cached_each(
        "handover-month",
        sorted({month for i in done for month in months[i]}),
        lambda month: report_cache.handovers_of(month[0], month[1]),
        _day_counts,
    )
    days = {}
    for i in done:
        span = spans[i]
        per_day = [
            count
            for month in months[i]
            for day, count in counts[month].items()
            if span.start <= day <= span.end
        ]
        if per_day:
            days[i] = _days_figures(per_day)
    rest = [i for i in range(len(spans)) if i not in done]
    if rest:
        days |= {rest[j]: f for j, f in _handover_days_read([spans[i] for i in rest]).items()}
    return days


@dataclass(frozen=True)
class _Month:
    """The past days of one month of a school's handovers: [start, end], end before today."""

    school_id: int
    start: date
    end: date


def _months(span, today: date) -> list[tuple[int, date, date]]:
    """(school, first day, last day read) of each month `span` touches: the whole month, or
    up to yesterday (the entry's key then changes with the day, so no day that could still
    change is ever cached)."""
    out, first, yesterday = [], span.start.replace(day=1), today - timedelta(days=1)
    while first <= span.end:
        following = (first + timedelta(days=32)).replace(day=1)
        out.append((span.school_id, first, min(following - timedelta(days=1), yesterday)))
        first = following
    return out


def _day_counts(months) -> dict[tuple, dict[date, tuple[int, int]]]:
    """{month: {day: (phones handed in, collected)}} for (school, first, last) months."""
    rows = _rows_by_span(
        Handover.objects.filter(undone_at__isnull=True),
        [_Month(*month) for month in months],
        "school_day",
        group=("school_day",),
        n=Count("*"),
        collected=Count("out_at"),
    )
    counts: dict[tuple, dict] = {month: {} for month in months}
    for row in rows:
        counts[months[row["span"]]][row["school_day"]] = (row["n"], row["collected"])
    return counts


def _days_figures(counts: list[tuple[int, int]]) -> dict:
    """The figures of a span from its days' (handed in, collected)."""
    return {
        "days": len(counts),
        "handovers": sum(n for n, _ in counts),
        "not_collected": sum(n - collected for n, collected in counts),
        "days_not_collected": sum(1 for n, collected in counts if n > collected),
        "median": _median([n for n, _ in counts]),
    }


def _handover_days_read(spans) -> dict[int, dict]:
    """`_handover_days`, read from the handovers."""
    days = _rows_by_span(
        Handover.objects.filter(undone_at__isnull=True),
        spans,
        "school_day",
        group=("school_day",),
        # COUNT(*), not COUNT(id): PostgreSQL then answers from the index alone.
        n=Count("*"),
        collected=Count("out_at"),
    )
    if medians_in_sql(days):
        # The days' counts, added up per span by PostgreSQL (a term is some 70 days).
        sql, params = days.query.sql_with_params()
        per_span = PER_SPAN_DAYS.format(days=sql)
        with connections[days.db].cursor() as cursor:
            cursor.execute(per_span, params)
            return {
                span: {
                    "days": n_days,
                    "handovers": int(total),
                    "not_collected": int(uncollected),
                    "days_not_collected": not_collected_days,
                    "median": _as_python_median(median, n_days),
                }
                for span, n_days, total, uncollected, not_collected_days, median in cursor
            }
    per_day: dict[int, list[tuple[int, int]]] = {}
    for row in days:
        per_day.setdefault(row["span"], []).append((row["n"], row["collected"]))
    return {span: _days_figures(counts) for span, counts in per_day.items()}


def _devices(spans, result, viewer, today):
    confiscations = without_concealed(Confiscation.objects.all(), viewer, "concern")
    handed_in = _handover_days(spans, today)
    for row in _rows(
        DayReconciliation.objects.all(), spans, "school_day", dates=True, n=Count("pk")
    ):
        if row["span"] >= 0:
            result[row["span"]].devices["days_reconciled"] = row["n"]
    # Per span and reason: the span's figures are the sum of its reasons'.
    for row in _rows(
        confiscations,
        spans,
        "confiscated_at",
        group=("reason_kind",),
        n=Count("pk"),
        parent=Count("pk", filter=Q(state=CustodyState.RELEASED)),
        police=Count("pk", filter=Q(state=CustodyState.POLICE)),
        held=Count("pk", filter=Q(state__in=OPEN_STATES)),
    ):
        if row["span"] >= 0:
            d = result[row["span"]].devices
            d["confiscations"] = d.get("confiscations", 0) + row["n"]
            ends = d.setdefault("confiscation_ends", {key: 0 for key, _ in CONFISCATION_ENDS})
            for key, _ in CONFISCATION_ENDS:
                ends[key] += row[key]
            d.setdefault("confiscation_reasons", {})[row["reason_kind"]] = row["n"]
    # What was granted, of four kinds of decision: one query (a UNION ALL of one per kind).
    granted: dict[int, dict] = {}
    approved = Q(status=Decision.APPROVED)
    selects = [
        _rows(
            model.objects.filter(approved).annotate(
                key=Concat(Value(prefix), F(group), output_field=CharField())
                if group
                else Value(prefix, output_field=CharField())
            ),
            spans,
            "decided_at",
            group=("key",),
            n=Count("pk"),
        )
        for model, group, prefix in (
            (StaffException, "kind", "staff_"),
            (LearnerExemption, "reason", "exemption_"),
            (ParentContactException, None, "parent_contact"),
            (CurriculumUseRequest, None, "curriculum"),
        )
    ]
    for row in selects[0].union(*selects[1:], all=True):
        if row["span"] >= 0:
            granted.setdefault(row["span"], {})[row["key"]] = row["n"]
    for i, fig in enumerate(result):
        d = fig.devices
        days = handed_in.get(i, {})
        d["school_days"] = fig.span.school_days()
        d["handover_days"] = days.get("days", 0)
        d["handovers"] = days.get("handovers", 0)
        d["median_handovers"] = days.get("median")
        d["not_collected"] = days.get("not_collected", 0)
        d["days_not_collected"] = days.get("days_not_collected", 0)
        d.setdefault("days_reconciled", 0)
        d.setdefault("confiscations", 0)
        d.setdefault("confiscation_ends", {key: 0 for key, _ in CONFISCATION_ENDS})
        reasons = d.setdefault("confiscation_reasons", {})
        for key in ConfiscationReason.values:
            reasons.setdefault(key, 0)
        g = granted.get(i, {})
        d["granted"] = {
            **{f"staff_{k}": g.get(f"staff_{k}", 0) for k in StaffException.Kind.values},
            "parent_contact": g.get("parent_contact", 0),
            **{
                f"exemption_{k}": g.get(f"exemption_{k}", 0) for k in LearnerExemption.Reason.values
            },
        }
        d["curriculum_approved"] = g.get("curriculum", 0)


GRANTED_LABELS = {
    **{f"staff_{k}": label for k, label in StaffException.Kind.choices},
    "parent_contact": "Parents may contact a learner in school hours (§5.3)",
    **{
        f"exemption_{k}": f"Learner keeps their phone: {label}"
        for k, label in LearnerExemption.Reason.choices
    },
}


def _staff_by_school(school_ids) -> dict[int, set[int]]:
    """The present staff of each school (roles held directly or through its trust)."""
    by_school = Membership.objects.holders_by_school(school_ids, roles=STAFF)
    return {sid: {user.pk for user in users} for sid, users in by_school.items()}


def _policies(spans, result, school_ids, today):
    staff = _staff_by_school(school_ids)
    # The version of each policy current at each span's end (ratified versions: a small list).
    versions = list(
        PolicyVersion.objects.filter(
            policy__school_id__in=school_ids,
            policy__requires_acknowledgement=True,
        )
        .ratified()
        .exclude(policy__status=Policy.Status.ARCHIVED)
        .values_list("pk", "policy_id", "policy__school_id", "number", "ratified_on")
        .order_by("policy_id", "number")
    )
    current_at: dict[int, dict[int, int]] = {}  # span -> policy -> version
    for i, span in enumerate(spans):
        current = {}
        for pk, policy_id, school_id, _number, ratified_on in versions:
            if school_id == span.school_id and ratified_on <= span.end:
                current[policy_id] = pk
        current_at[i] = current
    match = Q(pk__in=[])
    for i, span in enumerate(spans):
        if current_at[i] and staff[span.school_id]:
            match |= Q(
                version_id__in=list(current_at[i].values()),
                user_id__in=staff[span.school_id],
                at__lt=span.end_before,
            )
    acks = dict(
        Acknowledgement.objects.filter(match)
        .values("version_id")
        .annotate(n=Count("pk"))
        .values_list("version_id", "n")
        .order_by()
    )
    months = dict(
        TrainingSettings.objects.filter(school_id__in=school_ids).values_list(
            "school_id", "refresher_months"
        )
    )
    training = {}
    for i, span in enumerate(spans):
        people = Q(session__school_id=span.school_id, user_id__in=staff[span.school_id])
        window = add_months(span.end, -months.get(span.school_id, 12))
        # Up to date at the span's end: a session attended within the refresher cycle.
        training[f"up_{i}"] = Count(
            "user_id",
            distinct=True,
            filter=people & Q(session__held_on__gte=window, session__held_on__lte=span.end),
        )
        training[f"in_{i}"] = Count(
            "user_id",
            distinct=True,
            filter=people & Q(session__held_on__range=(span.start, span.end)),
        )
    trained = TrainingAttendance.objects.filter(session__school_id__in=school_ids).aggregate(
        **training
    )
    overdue = dict(
        Policy.objects.filter(school_id__in=school_ids)
        .overdue(today)
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
        .order_by()
    )
    for i, (span, fig) in enumerate(zip(spans, result, strict=True)):
        fig.staff = frozenset(staff[span.school_id])
        n_staff = len(staff[span.school_id])
        expected = n_staff * len(current_at[i])
        done = sum(acks.get(v, 0) for v in current_at[i].values())
        up_to_date = trained[f"up_{i}"] or 0
        fig.policies.update(
            staff=n_staff,
            ack_expected=expected,
            ack_done=done,
            ack_rate=round(100 * done / expected) if expected else None,
            training_up_to_date=up_to_date,
            training_rate=round(100 * up_to_date / n_staff) if n_staff else None,
            trained_in_span=trained[f"in_{i}"] or 0,
            overdue_now=overdue.get(span.school_id, 0),
        )


def policy_table(school_id: int, *, today: date, staff=None) -> list[dict]:
    """Each policy of the school now: status, next review, overdue, acknowledgement rate of
    its current version, by `staff` (the school's present staff, read when not given). Three
    queries whatever the number of policies."""
    if staff is None:
        staff = _staff_by_school([school_id])[school_id]
    policies = list(
        Policy.objects.filter(school_id=school_id)
        .exclude(status=Policy.Status.ARCHIVED)
        .order_by("title")
        .values("pk", "title", "status", "next_review_on", "requires_acknowledgement")
    )
    current = {}
    for pk, policy_id in (
        PolicyVersion.objects.filter(policy__school_id=school_id)
        .ratified()
        .order_by("policy_id", "number")
        .values_list("pk", "policy_id")
    ):
        current[policy_id] = pk
    acks = dict(
        Acknowledgement.objects.filter(version_id__in=list(current.values()), user_id__in=staff)
        .values("version_id")
        .annotate(n=Count("pk"))
        .values_list("version_id", "n")
        .order_by()
    )
    labels = dict(Policy.Status.choices)
    rows = []
    for p in policies:
        version = current.get(p["pk"])
        rate = None
        if p["requires_acknowledgement"] and version and staff:
            rate = round(100 * acks.get(version, 0) / len(staff))
        rows.append(
            {
                "title": p["title"],
                "status": labels[p["status"]],
                "next_review_on": p["next_review_on"],
                "overdue": Policy.review_overdue(p["next_review_on"], p["status"], today),
                "ack_rate": rate,
            }
        )
    return rows


def _lessons(spans, result, viewer):
    for row in _rows(
        without_concealed(
            ReviewTrigger.objects.filter(reason=ReviewTrigger.Reason.LESSONS_LEARNT),
            viewer,
            "concern_number",
        ),
        spans,
        "opened_at",
        school="policy__school_id",
        group=("policy__title",),
        opened=Count("pk"),
        done=Count("pk", filter=Q(closed_at__isnull=False)),
    ):
        if row["span"] >= 0:
            result[row["span"]].reviews[row["policy__title"]] = (row["opened"], row["done"])
    for row in _rows(
        without_concealed(
            Entry.objects.filter(kind=Entry.Kind.ACTION).exclude(
                concern__status=Concern.Status.WITHDRAWN
            ),
            viewer,
            "concern",
        ),
        spans,
        "at",
        school="concern__school_id",
        n=Count("pk"),
        done=Count("pk", filter=Q(action_done=True)),
    ):
        if row["span"] >= 0:
            result[row["span"]].lessons.update(actions=row["n"], actions_done=row["done"])
    for fig in result:
        fig.lessons.setdefault("actions", 0)
        fig.lessons.setdefault("actions_done", 0)
        fig.lessons["reviews_opened"] = sum(o for o, _ in fig.reviews.values())
        fig.lessons["reviews_done"] = sum(d for _, d in fig.reviews.values())


def concern_trend(spans: list[Span], *, viewer=None) -> list[int]:
    """Concerns reported in each span (one query), as `viewer` may read them."""
    counts = [0] * len(spans)
    if not spans:
        return counts
    concerns = without_concealed(Concern.objects.counted(), viewer)
    for row in _rows(concerns, spans, "reported_at", n=Count("pk")):
        if row["span"] >= 0:
            counts[row["span"]] += row["n"]
    return counts
