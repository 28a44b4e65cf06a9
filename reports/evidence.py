"""The evidence pack of the phone-free school (issue 18): for one school and term, what an
inspector asks of the phone policy, from what Roper holds.

1. hand-in compliance by day, year group and class: phones expected against phones handed in
   at the desk. Roper holds no attendance register, so "expected" is every learner on roll
   (active today) without an exemption in force that day that lets them keep the phone, on
   each school day of the term, less those the office marked absent that day at the end of
   the day (`devices.Absence`): an absent learner not marked counts as a phone not handed in.
   The page says so.
2. breaches by place and by part of the day;
3. consistency of sanctions: breaches given the ladder's step against another step with a
   reason (`conduct.services.ladder_consistency`);
4. learners' exemptions in force during the term, with their review state (in date, due for
   review within the reminder's ten school days, lapsed), as at the term's end (today for this
   term so far);
5. parent communication: notices by kind and channel, and whether the policy was sent to
   families this school year (`policies.PolicySending`);
6. the trend over the school's previous terms, the same figures in brief.

Two copies: the full one (the head, leadership, the DSL and deputy: `reports.evidence_full`)
shows every count and lists the exempt learners by name; the anonymised one (governors, the
OSL) shows counts only, small ones suppressed with the governors' report's helper
(`reports.suppression`), and the exemptions as counts by reason and state.

Every figure is an aggregate query over all the spans at once: the number of queries does not
grow with learners, handovers, breaches or schools. A completed term's pack is cached like the
governors' report (reports/cache.py).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q

from conduct.models import Breach, ParentNotice, Period, Place
from conduct.services import ladder_consistency
from devices.jobs import REVIEW_NOTICE_SCHOOL_DAYS
from devices.models import Absence, Decision, Handover, LearnerExemption
from incidents.visibility import without_concealed
from people.calendar import SchoolCalendar, is_working_day
from people.models import Learner, School, Term, YearGroup
from policies.models import PolicySending
from reports import cache
from reports.figures import Span, _rows, _rows_by_span, span_for_term
from reports.report import TREND_TERMS, threshold_for
from reports.suppression import NOT_SHOWN, count_text, fewer_than, suppressed_cells

IN_DATE, DUE, LAPSED = "in_date", "due", "lapsed"
REVIEW_STATES = [(IN_DATE, "In date"), (DUE, "Due for review"), (LAPSED, "Lapsed")]
SENT_CHANNELS = [ParentNotice.Channel.EMAIL, ParentNotice.Channel.LETTER]
ALL = "All"
EXPECTED_NOTE = (
    "Roper holds no attendance register: phones expected are the learners on roll today "
    "without an exemption in force that lets them keep their phone, on each school day, less "
    "those the office marked absent at the end of that day; a learner absent and not marked "
    "counts as a phone not handed in. Year groups and classes are the learners' current ones."
)


# -- figures -----------------------------------------------------------------------------------


@dataclass
class Totals:
    """One span's figures in brief (the trend, the trust)."""

    span: Span
    expected: int = 0
    handed_in: int = 0
    breaches: int = 0
    on_ladder: int = 0
    overridden: int = 0
    notices_sent: int = 0
    exemptions: int = 0
    policy_sent: bool = False

    @property
    def not_handed_in(self) -> int:
        return max(self.expected - self.handed_in, 0)


@dataclass
class Detail:
    """The current term's figures in full."""

    span: Span
    days: list = field(default_factory=list)  # [(day, expected, handed in)]
    years: list = field(default_factory=list)  # [(label, expected, handed in)]
    classes: list = field(default_factory=list)
    places: dict = field(default_factory=dict)  # (place, period) -> n
    consistency: object = None
    exemptions: list = field(default_factory=list)  # dicts, one per exemption
    notices: dict = field(default_factory=dict)  # (kind, channel) -> n
    sendings: list = field(default_factory=list)
    school_year: str = ""


def _school_days(span: Span) -> list[date]:
    first = max(span.start, span.term_start or span.start)
    last = min(span.end, span.term_end or span.end)
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    return [d for d in days if is_working_day(d)]


def _exemptions(school_ids, start: date, end: date, *, names=False):
    """Approved exemptions of learners on roll in force at some point of [start, end]."""
    fields = ["pk", "school_id", "learner_id", "reason", "starts_on", "review_on", "decided_at"]
    fields += ["learner__year_group", "learner__class_name"]
    if names:
        fields += [
            "learner__legal_first_name",
            "learner__preferred_name",
            "learner__legal_last_name",
            "decided_by__first_name",
            "decided_by__last_name",
            "decided_at",
        ]
    rows = list(
        LearnerExemption.objects.filter(
            school_id__in=school_ids,
            status=Decision.APPROVED,
            learner__active=True,
            review_on__gte=start,
        )
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=end))
        .order_by("review_on", "pk")
        .values(*fields)
    )
    for e in rows:
        # In force from its start date, or else from its approval.
        decided = e["decided_at"] and SchoolCalendar.day_of(e["decided_at"])
        e["from"] = e["starts_on"] or decided or None
    return [e for e in rows if e["from"] is None or e["from"] <= end]


def _exempt_on(exemptions, day: date, school_id: int) -> set:
    """(learner, year, class) of the learners exempt on `day` (LearnerExemption.active_q)."""
    return {
        (e["learner_id"], e["learner__year_group"], e["learner__class_name"])
        for e in exemptions
        if e["school_id"] == school_id
        and e["review_on"] >= day
        and (e["from"] is None or e["from"] <= day)
    }


def _absent(school_ids, start: date, end: date, *, by_class=False) -> dict:
    """(school, day[, year group, class]) -> learners on roll the office marked absent that
    day and not exempt then (an exempt learner is not expected anyway, so is not taken off
    twice), in one aggregate query. In force is `_exemptions`' rule: approved, the review date
    not passed, from its start date, or else from the day it was approved."""
    exempt = LearnerExemption.objects.filter(
        learner=OuterRef("learner"),
        status=Decision.APPROVED,
        review_on__gte=OuterRef("school_day"),
    ).filter(
        Q(starts_on__lte=OuterRef("school_day"))
        | Q(starts_on__isnull=True, decided_at__date__lte=OuterRef("school_day"))
        | Q(starts_on__isnull=True, decided_at__isnull=True)
    )
    fields = ["school_id", "school_day"]
    if by_class:
        fields += ["learner__year_group", "learner__class_name"]
    rows = (
        Absence.objects.filter(
            school_id__in=school_ids, school_day__range=(start, end), learner__active=True
        )
        .filter(~Exists(exempt))
        .values(*fields)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {tuple(row[f] for f in fields): row["n"] for row in rows}


def _on_roll(school_ids) -> dict[int, dict[tuple[str, str], int]]:
    """school -> (year group, class) -> learners on roll (one query)."""
    out: dict[int, dict] = {sid: {} for sid in school_ids}
    for row in (
        Learner.objects.filter(school_id__in=school_ids, active=True)
        .values("school_id", "year_group", "class_name")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        out[row["school_id"]][(row["year_group"], row["class_name"])] = row["n"]
    return out


def evidence_totals(spans: list[Span], *, viewer=None) -> list[Totals]:
    """Each span's figures in brief, in seven queries whatever the spans and schools."""
    result = [Totals(span) for span in spans]
    if not spans:
        return result
    school_ids = sorted({s.school_id for s in spans})
    roll = _on_roll(school_ids)
    first, last = min(s.start for s in spans), max(s.end for s in spans)
    exemptions = _exemptions(school_ids, first, last)
    absent = _absent(school_ids, first, last)
    handed = _rows_by_span(
        Handover.objects.filter(undone_at__isnull=True), spans, "school_day", n=Count("*")
    )
    for row in handed:
        result[row["span"]].handed_in += row["n"]
    for row in _rows(
        Breach.objects.all(),
        spans,
        "at",
        n=Count("pk"),
        on=Count("pk", filter=Q(applied_position=F("ladder_position"))),
    ):
        if row["span"] >= 0:
            t = result[row["span"]]
            t.breaches, t.on_ladder = row["n"], row["on"]
            t.overridden = row["n"] - row["on"]
    for row in _rows(
        _notices(viewer).filter(channel__in=SENT_CHANNELS), spans, "created_at", n=Count("pk")
    ):
        if row["span"] >= 0:
            result[row["span"]].notices_sent = row["n"]
    years = {PolicySending.school_year_of(s.end) for s in spans}
    sent = set(
        PolicySending.objects.filter(policy__school_id__in=school_ids, school_year__in=years)
        .values_list("policy__school_id", "school_year")
        .distinct()
    )
    for t in result:
        span = t.span
        on_roll = sum(roll[span.school_id].values())
        days = _school_days(span)
        t.expected = sum(
            on_roll
            - len(_exempt_on(exemptions, d, span.school_id))
            - absent.get((span.school_id, d), 0)
            for d in days
        )
        t.exemptions = len(
            {
                e["learner_id"]
                for e in exemptions
                if e["school_id"] == span.school_id
                and e["review_on"] >= span.start
                and (e["from"] is None or e["from"] <= span.end)
            }
        )
        t.policy_sent = (span.school_id, PolicySending.school_year_of(span.end)) in sent
    return result


def _notices(viewer):
    """Parent notices, without those about a confiscation linked to a concern concealed from
    the viewer (incidents.visibility)."""
    return without_concealed(ParentNotice.objects.all(), viewer, "confiscation__concern")


def review_state(review_on: date, as_at: date, horizon: date) -> str:
    if review_on < as_at:
        return LAPSED
    return DUE if review_on <= horizon else IN_DATE


def evidence_detail(span: Span, *, school: School, viewer=None, names=False) -> Detail:
    """The figures of one span in full: nine queries whatever the number of rows."""
    detail = Detail(span)
    sid = span.school_id
    roll = _on_roll([sid])[sid]
    exemptions = _exemptions([sid], span.start, span.end, names=names)
    absent = _absent([sid], span.start, span.end, by_class=True)
    absent_on: dict[date, int] = {}
    for (_sid, day, _year, _class), n in absent.items():
        absent_on[day] = absent_on.get(day, 0) + n
    days = _school_days(span)
    handed_by_day = dict(
        Handover.objects.filter(
            school_id=sid, undone_at__isnull=True, school_day__range=(span.start, span.end)
        )
        .values("school_day")
        .annotate(n=Count("*"))
        .values_list("school_day", "n")
        .order_by()
    )
    handed_by_class: dict[tuple[str, str], int] = {}
    for row in (
        Handover.objects.filter(
            school_id=sid,
            undone_at__isnull=True,
            school_day__range=(span.start, span.end),
            learner__active=True,
        )
        .values("learner__year_group", "learner__class_name")
        .annotate(n=Count("*"))
        .order_by()
    ):
        handed_by_class[(row["learner__year_group"], row["learner__class_name"])] = row["n"]
    on_roll = sum(roll.values())
    expected_by_class: dict[tuple[str, str], int] = dict.fromkeys(roll, 0)
    for day in days:
        exempt = _exempt_on(exemptions, day, sid)
        expected = on_roll - len(exempt) - absent_on.get(day, 0)
        detail.days.append((day, expected, handed_by_day.get(day, 0)))
        for key, n in roll.items():
            expected_by_class[key] += n - absent.get((sid, day, *key), 0)
        for _learner, year, class_name in exempt:
            if (year, class_name) in expected_by_class:
                expected_by_class[(year, class_name)] -= 1
    order = {code: i for i, code in enumerate(YearGroup.values)}
    labels = dict(YearGroup.choices)
    keys = sorted(set(expected_by_class) | set(handed_by_class), key=lambda k: (order[k[0]], k[1]))
    by_year: dict[str, list[int]] = {}
    in_year: dict[str, int] = {}
    for key in keys:
        e, h = expected_by_class.get(key, 0), handed_by_class.get(key, 0)
        # The governors' copy names no class (the termly report never does): "class 2".
        in_year[key[0]] = in_year.get(key[0], 0) + 1
        name = key[1] if names else f"class {in_year[key[0]]}"
        detail.classes.append((f"{labels[key[0]]}: {name}", e, h))
        y = by_year.setdefault(key[0], [0, 0])
        y[0] += e
        y[1] += h
    detail.years = [(labels[y], e, h) for y, (e, h) in by_year.items()]

    for row in (
        Breach.objects.filter(school_id=sid, at__gte=span.start_at, at__lt=span.end_before)
        .values("place", "period")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        detail.places[(row["place"], row["period"])] = row["n"]
    detail.consistency = ladder_consistency(school=school, start=span.start, end=span.end)

    as_at = span.end
    horizon = (
        SchoolCalendar(school)
        .add_school_days(span.end_before - timedelta(days=1), REVIEW_NOTICE_SCHOOL_DAYS)
        .date()
    )
    reasons = dict(LearnerExemption.Reason.choices)
    for e in exemptions:
        row = {
            "reason": e["reason"],
            "reason_label": reasons.get(e["reason"], e["reason"]),
            "review_on": e["review_on"],
            "starts_on": e["starts_on"],
            "state": review_state(e["review_on"], as_at, horizon),
        }
        if names:
            first = e["learner__preferred_name"] or e["learner__legal_first_name"]
            row.update(
                learner=f"{first} {e['learner__legal_last_name']}",
                group=f"{labels.get(e['learner__year_group'], '')}, {e['learner__class_name']}",
                approved_by=f"{e['decided_by__first_name']} {e['decided_by__last_name']}".strip(),
                approved_on=e["decided_at"],
            )
        detail.exemptions.append(row)

    for row in (
        _notices(viewer)
        .filter(school_id=sid, created_at__gte=span.start_at, created_at__lt=span.end_before)
        .values("kind", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        detail.notices[(row["kind"], row["channel"])] = row["n"]
    year = PolicySending.school_year_of(span.end)
    detail.school_year = f"{year}/{(year + 1) % 100:02d}"
    methods = dict(PolicySending.Method.choices)
    detail.sendings = [
        {"policy": title, "sent_on": sent_on, "method": methods.get(method, method)}
        for title, sent_on, method in PolicySending.objects.filter(
            policy__school_id=sid, school_year=year
        )
        .order_by("sent_on", "pk")
        .values_list("policy__title", "sent_on", "method")
    ]
    return detail


# -- the pack as tables of display text ---------------------------------------------------------


@dataclass
class Row:
    label: str
    cells: list[str]
    strong: bool = False


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[Row]
    note: str = ""


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    note: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Pack:
    title: str
    school: str
    period: str
    threshold: int
    anonymised: bool
    sections: list[Section]
    generated_on: date
    #: The full copy only: each exemption with the learner's name.
    exemptions: list = field(default_factory=list)
    expected_note: str = EXPECTED_NOTE

    @property
    def suppressed_text(self):
        return fewer_than(self.threshold)

    @property
    def not_shown_text(self):
        return NOT_SHOWN


def _percent(handed: int, expected: int) -> str:
    return f"{round(100 * handed / expected)}%" if expected else "–"


class _Cells:
    """Counts of a table and the groups they add up in; suppressed for governors."""

    def __init__(self, anonymised: bool, threshold: int):
        self.anonymised, self.threshold = anonymised, threshold
        self.cells: dict = {}
        self.groups: list = []
        self.hidden: set = set()

    def done(self):
        if self.anonymised:
            self.hidden = suppressed_cells(self.cells, self.groups, self.threshold)

    def text(self, key) -> str:
        return count_text(self.cells[key], key in self.hidden, self.threshold)

    def any_hidden(self, *keys) -> bool:
        return any(k in self.hidden for k in keys)


def _compliance(title, rows, anonymised, threshold, total_label=None) -> Table:
    """Rows of (label, expected, handed in): expected = handed in + not handed in."""
    c = _Cells(anonymised, threshold)
    rows = list(rows)
    if total_label:
        rows.append((total_label, sum(r[1] for r in rows), sum(r[2] for r in rows)))
    for i, (_label, expected, handed) in enumerate(rows):
        c.cells[(i, "e")] = expected
        c.cells[(i, "h")] = min(handed, expected) if anonymised else handed
        c.cells[(i, "m")] = max(expected - handed, 0)
        c.groups.append(([(i, "h"), (i, "m")], (i, "e")))
    if total_label and len(rows) > 1:
        last = len(rows) - 1
        for col in "ehm":
            c.groups.append(([(i, col) for i in range(last)], (last, col)))
    c.done()
    out = []
    for i, (label, expected, handed) in enumerate(rows):
        hide = c.any_hidden((i, "e"), (i, "h"), (i, "m"))
        rate = NOT_SHOWN if hide else _percent(handed, expected)
        out.append(
            Row(
                label,
                [c.text((i, "e")), c.text((i, "h")), c.text((i, "m")), rate],
                strong=bool(total_label) and i == len(rows) - 1,
            )
        )
    return Table(title, ["Phones expected", "Handed in", "Not handed in", "Handed in %"], out)


def _crosstab(title, row_keys, col_keys, values, anonymised, threshold, first="") -> Table:
    """Counts by two keys with row, column and grand totals, suppressed as one set of groups."""
    c = _Cells(anonymised, threshold)
    rk, ck = [k for k, _ in row_keys], [k for k, _ in col_keys]
    for r in rk:
        for col in ck:
            c.cells[(r, col)] = values.get((r, col), 0)
        c.cells[(r, ALL)] = sum(values.get((r, col), 0) for col in ck)
        c.groups.append(([(r, col) for col in ck], (r, ALL)))
    for col in [*ck, ALL]:
        c.cells[(ALL, col)] = sum(c.cells[(r, col)] for r in rk)
        c.groups.append(([(r, col) for r in rk], (ALL, col)))
    c.groups.append(([(ALL, col) for col in ck], (ALL, ALL)))
    c.done()
    rows = [
        Row(label, [c.text((r, col)) for col in [*ck, ALL]])
        for r, label in [*row_keys, (ALL, "All")]
    ]
    rows[-1].strong = True
    return Table(title, [label for _, label in col_keys] + ["All"], rows, note=first)


def _trend(totals: list[Totals], anonymised, threshold) -> Table:
    c = _Cells(anonymised, threshold)
    for i, t in enumerate(totals):
        c.cells[(i, "h")] = min(t.handed_in, t.expected) if anonymised else t.handed_in
        c.cells[(i, "m")] = t.not_handed_in
        c.cells[(i, "e")] = t.expected
        c.groups.append(([(i, "h"), (i, "m")], (i, "e")))
        c.cells[(i, "b")] = t.breaches
        c.cells[(i, "on")] = t.on_ladder
        c.cells[(i, "off")] = t.overridden
        c.groups.append(([(i, "on"), (i, "off")], (i, "b")))
        c.cells[(i, "n")] = t.notices_sent
        c.cells[(i, "x")] = t.exemptions
    c.done()
    rows = []
    for i, t in enumerate(totals):
        hide = c.any_hidden((i, "e"), (i, "h"), (i, "m"))
        rows.append(
            Row(
                t.span.label,
                [
                    c.text((i, "e")),
                    c.text((i, "h")),
                    NOT_SHOWN if hide else _percent(t.handed_in, t.expected),
                    c.text((i, "b")),
                    c.text((i, "on")),
                    c.text((i, "off")),
                    c.text((i, "n")),
                    c.text((i, "x")),
                    "yes" if t.policy_sent else "no",
                ],
            )
        )
    return Table(
        "The trend across terms",
        [
            "Phones expected",
            "Handed in",
            "Handed in %",
            "Breaches",
            "Ladder's step",
            "Another step",
            "Notices sent",
            "Learners exempt",
            "Policy sent this school year",
        ],
        rows,
    )


def build_pack(
    *, school: School, term: Term, terms: list[Term], today: date, viewer=None, full=False
) -> Pack:
    threshold = threshold_for([school.pk])
    anonymised = not full
    span = span_for_term(term, terms, today=today)
    so_far = term.ends_on >= today
    detail = evidence_detail(span, school=school, viewer=viewer, names=full)
    index = terms.index(term)
    trend_terms = terms[max(0, index - TREND_TERMS + 1) : index + 1]
    totals = evidence_totals(
        [span_for_term(t, terms, today=today) for t in trend_terms], viewer=viewer
    )

    compliance = Section(
        "Hand-in compliance",
        [
            _compliance("By year group", detail.years, anonymised, threshold, "All year groups"),
            _compliance("By class", detail.classes, anonymised, threshold, "All classes"),
            _compliance(
                "By school day",
                [(f"{d:%a %-d %b}", e, h) for d, e, h in detail.days],
                anonymised,
                threshold,
                "All school days",
            ),
        ],
        note=EXPECTED_NOTE,
    )
    breaches = Section(
        "Breaches by place and time of day",
        [
            _crosstab(
                "Breaches (phone seen or used) by place and part of the day",
                Place.choices,
                Period.choices,
                detail.places,
                anonymised,
                threshold,
            )
        ],
    )
    k = detail.consistency
    cons_values = {}
    numbers = []
    for number, on, off in k.by_number:
        label = f"Breach {number} in the term" if number < 4 else "Breach 4 or later in the term"
        key = min(number, 4)
        if key not in [n for n, _ in numbers]:
            numbers.append((key, label))
        cons_values[(key, "on")] = cons_values.get((key, "on"), 0) + on
        cons_values[(key, "off")] = cons_values.get((key, "off"), 0) + off
    consistency = Section(
        "Consistency of sanctions",
        [
            _crosstab(
                "Breaches given the ladder's step, by the learner's breach number in the term",
                numbers,
                [("on", "The ladder's step"), ("off", "Another step, reason recorded")],
                cons_values,
                anonymised,
                threshold,
            )
        ],
        note=(
            "Roper proposes the step of the school's sanctions ladder for a learner's Nth "
            "breach in the term; staff may apply another only with a reason. The same breach "
            "should get the same consequence for every child."
        ),
    )
    ex_values: dict = {}
    for e in detail.exemptions:
        ex_values[(e["reason"], e["state"])] = ex_values.get((e["reason"], e["state"]), 0) + 1
    exemptions = Section(
        "Exemptions and their review",
        [
            _crosstab(
                "Learners' exemptions in force during the term, by reason and review state",
                LearnerExemption.Reason.choices,
                REVIEW_STATES,
                ex_values,
                anonymised,
                threshold,
            )
        ],
        note=(
            f"Review state as at {span.end:%-d %b %Y}: due for review when the review date "
            f"falls within {REVIEW_NOTICE_SCHOOL_DAYS} school days (when the approvers are "
            "reminded), lapsed when it has passed without a renewal."
        ),
    )
    sent_lines = [
        f"{s['policy']}: sent to families on {s['sent_on']:%-d %b %Y} ({s['method']})."
        for s in detail.sendings
    ] or [f"No record of the policy being sent to families in {detail.school_year}."]
    parents = Section(
        "Parent communication",
        [
            _crosstab(
                "Notices to parents and carers by kind and channel",
                ParentNotice.Kind.choices,
                ParentNotice.Channel.choices,
                detail.notices,
                anonymised,
                threshold,
            )
        ],
        lines=sent_lines,
        note=f"The policy sent to families in the school year {detail.school_year}:",
    )
    trend = Section(
        "The trend across terms",
        [_trend(totals, anonymised, threshold)],
        note="The previous terms of the school, the same figures in brief.",
    )
    period = f"{term}{' so far' if so_far else ''} ({span.start:%-d %b %Y} – {span.end:%-d %b %Y})"
    return Pack(
        title=f"Phone-free school evidence: {school.name}",
        school=school.name,
        period=period,
        threshold=threshold,
        anonymised=anonymised,
        sections=[compliance, breaches, consistency, exemptions, parents, trend],
        generated_on=today,
        exemptions=detail.exemptions if full else [],
    )


def evidence_pack(
    *, school: School, term: Term, terms: list[Term], today: date, viewer=None, full=False
) -> Pack:
    """One school's pack for `term`, full or anonymised; a completed term's is cached."""

    def build():
        return build_pack(
            school=school, term=term, terms=terms, today=today, viewer=viewer, full=full
        )

    if term.ends_on >= today:
        return build()
    viewer_id = getattr(viewer, "pk", None)
    return cache.cached(
        "evidence", [school.pk], [school.pk, term.pk, today, viewer_id, full], build
    )


# -- the trust ----------------------------------------------------------------------------------


def trust_pack(*, schools: list[School], key: str, today: date, viewer=None) -> Table:
    """The trust's schools side by side for the term named by `key` (season-year): counts per
    school, suppressed as for governors (a trust-level reader sees no child)."""

    def build():
        return _trust_pack(schools=schools, key=key, today=today, viewer=viewer)

    season, _, year = key.partition("-")
    ids = [s.pk for s in schools]
    open_somewhere = Term.objects.filter(
        school__in=ids, season=season, starts_on__year=year, ends_on__gte=today
    ).exists()
    if open_somewhere or not year.isdigit():
        return build()
    return cache.cached(
        "evidence-trust", ids, [*ids, key, today, getattr(viewer, "pk", None)], build
    )


def _trust_pack(*, schools, key, today, viewer) -> Table:
    season, _, year = key.partition("-")
    by_school: dict[int, list[Term]] = {}
    for t in Term.objects.filter(school__in=schools).order_by("starts_on"):
        by_school.setdefault(t.school_id, []).append(t)
    spans, named = [], []
    for school in schools:
        terms = by_school.get(school.pk, [])
        term = next(
            (t for t in terms if t.season == season and str(t.starts_on.year) == year), None
        )
        if term:
            spans.append(span_for_term(term, terms, today=today))
            named.append(school)
    totals = evidence_totals(spans, viewer=viewer)
    threshold = threshold_for([s.pk for s in schools])
    table = _trend(totals, True, threshold)
    for row, school in zip(table.rows, named, strict=True):
        row.label = school.name
    table.title = f"Each school, {season.title()} {year}"
    return table


def trust_document(*, trust, schools: list[School], label: str, table: Table, today):
    """The trust's table (`trust_pack`) as a pack, for the school view's PDF and CSV: the
    same counts, suppressed as for governors, no child or class named."""
    threshold = threshold_for([s.pk for s in schools]) if schools else 0
    note = (
        "Counts per school; each school's own pack has the detail. "
        + EXPECTED_NOTE.split(" Year groups")[0]
    )
    return Pack(
        title=f"Phone-free school evidence: {trust.name}",
        school=trust.name,
        period=label,
        threshold=threshold,
        anonymised=True,
        sections=[Section("Each school of the trust", [table], note=note)],
        generated_on=today,
    )
