"""The report as tables of display text, built once and rendered three ways (page, PDF, CSV),
so the three always show the same figures.

Only counts, rates, durations, policy titles and category names reach a report: never a
learner's or staff member's name, UPN, date of birth, class, or any free text of a concern.
Every count passes through `reports.suppression.suppressed_cells`.

A report is built for a viewer: figures leave out what is concealed from them
(`reports.figures`), and a headteacher's copy shows the rows about allegations concerning the
headteacher as "not shown to you" rather than a count that could never be true (small-number
suppression protects a child from governors; it does not protect a subject from learning of
an allegation about themself). Which rows are withheld depends on the viewer's role only,
never on the data, so the withholding itself reveals nothing.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.template.loader import render_to_string

from devices.models import ConfiscationReason
from incidents.models import Category, Concern, Referral
from people.calendar import SchoolCalendar
from people.models import School, Term
from reports import cache, charts
from reports.figures import (
    CONFISCATION_ENDS,
    GRANTED_LABELS,
    REFERRAL_ROUTES,
    ROUTES,
    Figures,
    Span,
    category_labels,
    figures_and_trend,
    figures_for,
    policy_table,
    same_term_last_year,
    span_for_term,
)
from reports.models import DEFAULT_THRESHOLD, Commentary, ReportSettings
from reports.suppression import NOT_SHOWN, count_text, fewer_than, suppressed_cells
from roper.permissions import roles_for
from roper.roles import Role

COUNT, NUMBER, DURATION, PERCENT = "count", "number", "duration", "percent"
TREND_TERMS = 6
WITHHELD = "not shown to you"
WITHHELD_NOTE = (
    "Figures about allegations concerning the headteacher are not shown in your copy of "
    "this report (they are reported to governors by the chair)."
)


@dataclass
class RowSpec:
    key: str
    label: str
    get: object  # Figures -> value
    kind: str = COUNT
    #: The key of the total this row is one part of (the parts add up to it).
    part_of: str | None = None
    indent: bool = False


@dataclass
class Row:
    label: str
    cells: list[str]
    indent: bool = False


@dataclass
class Table:
    title: str
    rows: list[Row]
    note: str = ""


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    note: str = ""
    #: Extra tables whose columns are not the report's periods.
    extra: list[dict] = field(default_factory=list)


@dataclass
class Report:
    title: str
    school_names: list[str]
    period: str
    columns: list[str]
    sections: list[Section]
    threshold: int
    generated_on: date
    #: For the viewer's copy: why some rows read "not shown to you".
    withheld_note: str = ""
    #: The body (reports/partials/_report.html) rendered once, for a cached report: a
    #: completed term's page is then the cached HTML and no template loop (the report's
    #: tables were two thirds of the page's time). Empty: the templates render it.
    body: str = ""
    #: A school's report: the named governor's commentary on the term (a Commentary, or None
    #: when none is written), read with the report and cached with it (saving it gives the
    #: school's reports a new version, as any change to what they read).
    commentary: object = None

    @property
    def suppressed_text(self):
        return fewer_than(self.threshold)

    @property
    def not_shown_text(self):
        return NOT_SHOWN


def _with_body(report: Report) -> Report:
    """The report, its body rendered (for the cache: the body depends on nothing else)."""
    report.body = render_to_string("reports/partials/_report.html", {"report": report})
    return report


def _hours(value: timedelta | None) -> str:
    if value is None:
        return "–"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def _percent(value) -> str:
    return "–" if value is None else f"{value}%"


def row_specs(categories: dict[str, str]) -> dict[str, list[RowSpec]]:
    """Section title -> its rows, in order."""
    c = "concerns.total"
    concerns = [RowSpec(c, "Concerns reported", lambda f: f.concerns["total"])]
    concerns += [
        RowSpec(
            f"cat.{key}", name, lambda f, k=key: f.by_category.get(k, 0), part_of=c, indent=True
        )
        for key, name in categories.items()
    ]
    routes = [
        RowSpec(
            f"route.{key}",
            f"Routed to: {label}",
            lambda f, k=key: f.concerns["route"][k],
            part_of=c,
        )
        for key, label in ROUTES
    ]
    routes += [
        RowSpec(
            f"referred.{kind}",
            f"Referred to: {label}",
            lambda f, k=kind: f.concerns["referral_route"][k],
        )
        for kind, label in REFERRAL_ROUTES
    ]
    outcomes = [
        RowSpec(
            f"status.{value}",
            f"Now: {label.lower()}",
            lambda f, v=value: f.concerns["status"][v],
            part_of=c,
        )
        for value, label in Concern.Status.choices
        if value != Concern.Status.WITHDRAWN  # withdrawn concerns are not counted
    ]
    outcomes += [
        RowSpec(
            f"made.{value}",
            f"Referral made: {label}",
            lambda f, v=value: f.concerns["referrals"][v],
        )
        for value, label in Referral.choices
        if value not in (Referral.LADO, Referral.POLICE)
    ]
    triage = [
        RowSpec(
            "triage.median",
            "Median time from report to triage",
            lambda f: f.concerns["median_triage"],
            DURATION,
        ),
        RowSpec(
            "triage.longest",
            "Longest time from report to triage",
            lambda f: f.concerns["longest_triage"],
            DURATION,
        ),
        RowSpec(
            "triage.in_time",
            "Triaged within the deadline",
            lambda f: f.concerns["triaged_in_time"],
            part_of=c,
        ),
        RowSpec(
            "triage.late",
            "Triaged after the deadline",
            lambda f: f.concerns["triaged_late"],
            part_of=c,
        ),
        RowSpec("triage.none", "Not triaged yet", lambda f: f.concerns["untriaged"], part_of=c),
        RowSpec("escalated", "Escalated (not triaged in time)", lambda f: f.concerns["escalated"]),
        RowSpec(
            "referrals.required",
            "Referrals the rules require",
            lambda f: f.concerns["referrals_required"],
        ),
        RowSpec(
            "referrals.in_time",
            "made in time",
            lambda f: f.concerns["referrals_in_time"],
            part_of="referrals.required",
            indent=True,
        ),
        RowSpec(
            "referrals.late",
            "made late",
            lambda f: f.concerns["referrals_late"],
            part_of="referrals.required",
            indent=True,
        ),
        RowSpec(
            "referrals.missing",
            "not made",
            lambda f: f.concerns["referrals_missing"],
            part_of="referrals.required",
            indent=True,
        ),
    ]
    d = "confiscations"
    devices = [
        RowSpec("school_days", "School days", lambda f: f.devices["school_days"], NUMBER),
        RowSpec(
            "handover_days",
            "Days with phones handed in",
            lambda f: f.devices["handover_days"],
            NUMBER,
        ),
        RowSpec(
            "median_handovers",
            "Phones handed in per day (median)",
            lambda f: f.devices["median_handovers"],
            NUMBER,
        ),
        RowSpec(
            "days_reconciled",
            "Days reconciled at the end of the day",
            lambda f: f.devices["days_reconciled"],
            NUMBER,
        ),
        RowSpec(
            "not_collected",
            "Phones not collected at the end of the day",
            lambda f: f.devices["not_collected"],
        ),
        RowSpec(d, "Devices confiscated", lambda f: f.devices["confiscations"]),
        *[
            RowSpec(
                f"conf.{key}",
                label,
                lambda f, k=key: f.devices["confiscation_ends"][k],
                part_of=d,
                indent=True,
            )
            for key, label in CONFISCATION_ENDS
        ],
        *[
            RowSpec(f"granted.{key}", f"Granted: {label}", lambda f, k=key: f.devices["granted"][k])
            for key, label in GRANTED_LABELS.items()
        ],
        RowSpec(
            "curriculum",
            "Curriculum use of learners' devices approved",
            lambda f: f.devices["curriculum_approved"],
        ),
    ]
    # A second breakdown of the same total, in its own table (each table's parts add up to it).
    reasons = [
        RowSpec(d, "Devices confiscated", lambda f: f.devices["confiscations"]),
        *[
            RowSpec(
                f"reason.{key}",
                label,
                lambda f, k=key: f.devices["confiscation_reasons"][k],
                part_of=d,
                indent=True,
            )
            for key, label in ConfiscationReason.choices
        ],
    ]
    policies = [
        RowSpec(
            "overdue",
            "Policy reviews overdue (today)",
            lambda f: f.policies["overdue_now"],
            NUMBER,
        ),
        RowSpec(
            "ack_rate",
            "Staff who acknowledged the current versions",
            lambda f: f.policies["ack_rate"],
            PERCENT,
        ),
        RowSpec(
            "training_rate",
            "Staff with training up to date",
            lambda f: f.policies["training_rate"],
            PERCENT,
        ),
        RowSpec(
            "trained", "Staff trained this period", lambda f: f.policies["trained_in_span"], NUMBER
        ),
    ]
    lessons = [
        RowSpec(
            "lessons", "Concerns closed with lessons learnt", lambda f: f.concerns["lessons_learnt"]
        ),
        RowSpec("actions", "Actions recorded on concerns", lambda f: f.lessons["actions"]),
        RowSpec("actions_done", "of which done", lambda f: f.lessons["actions_done"], indent=True),
        RowSpec(
            "reviews_opened",
            "Policy reviews opened from lessons learnt",
            lambda f: f.lessons["reviews_opened"],
        ),
        RowSpec("reviews_done", "of which done", lambda f: f.lessons["reviews_done"], indent=True),
    ]
    return {
        "Concerns": concerns,
        "Routes": routes,
        "Outcomes": outcomes,
        "Triage and referrals": triage,
        "Devices": devices,
        "Confiscations by reason": reasons,
        "Policies and training": policies,
        "Lessons learnt": lessons,
    }


def _groups(specs: dict[str, list[RowSpec]]) -> list[tuple[str, list[str]]]:
    """(total, parts) of each table: the parts of one table add up to their total."""
    groups: dict[tuple[str, str], list[str]] = {}
    for title, rows in specs.items():
        for spec in rows:
            if spec.part_of:
                groups.setdefault((title, spec.part_of), []).append(spec.key)
    return [(total, members) for (_title, total), members in groups.items()]


def _format(spec: RowSpec, value, hidden: bool, threshold: int) -> str:
    if spec.kind == COUNT:
        return count_text(value, hidden, threshold)
    if spec.kind == DURATION:
        return _hours(value)
    if spec.kind == PERCENT:
        return _percent(value)
    return _number(value)


def build_tables(
    columns: list[Figures | None],
    specs: dict[str, list[RowSpec]],
    threshold: int,
    *,
    total_column: int | None = None,
    withheld: frozenset[str] = frozenset(),
) -> dict[str, Table]:
    """Tables of display text. Each column's counts are suppressed with their groups; with a
    `total_column` (the trust's totals), each row's counts across the other columns are a
    group too. Rows whose key is in `withheld` read "not shown to you"."""
    flat = [spec for rows in specs.values() for spec in rows]
    cells, groups = {}, []
    for col, fig in enumerate(columns):
        if fig is None:
            continue
        for spec in flat:
            if spec.kind == COUNT:
                cells[(col, spec.key)] = spec.get(fig)
        for total, members in _groups(specs):
            groups.append(([(col, m) for m in members], (col, total)))
    if total_column is not None:
        others = [c for c, fig in enumerate(columns) if fig is not None and c != total_column]
        for spec in flat:
            if spec.kind == COUNT:
                groups.append(([(c, spec.key) for c in others], (total_column, spec.key)))
    hidden = suppressed_cells(cells, groups, threshold)
    tables = {}
    for title, rows in specs.items():
        out = []
        for spec in rows:
            texts = []
            for col, fig in enumerate(columns):
                if spec.key in withheld:
                    texts.append(WITHHELD)
                elif fig is None:
                    texts.append("–")
                else:
                    texts.append(_format(spec, spec.get(fig), (col, spec.key) in hidden, threshold))
            out.append(Row(spec.label, texts, spec.indent))
        tables[title] = Table(title, out)
    return tables, hidden


def threshold_for(school_ids) -> int:
    """The school's threshold; across schools (a trust), the strictest."""
    found = dict(
        ReportSettings.objects.filter(school_id__in=school_ids).values_list(
            "school_id", "suppression_threshold"
        )
    )
    return max(found.get(sid, DEFAULT_THRESHOLD) for sid in school_ids)


def withheld_rows(viewer, school_ids) -> frozenset[str]:
    """The rows a viewer's copy does not show: for a headteacher of any of the schools, those
    counting allegations about the headteacher (the chair's route and the category's row)."""
    if viewer is None or not any(Role.HEADTEACHER in roles_for(viewer, s) for s in school_ids):
        return frozenset()
    keys = Category.objects.filter(school_id__in=school_ids, is_about_head=True).values_list(
        "key", flat=True
    )
    return frozenset({"route.chair", *(f"cat.{key}" for key in keys)})


def school_report(
    *, school: School, term: Term, terms: list[Term], today: date, viewer=None
) -> Report:
    """One school, one term (or this term so far), with the previous term and the same term
    last year, as `viewer` may read it, and the named governor's commentary on it. A
    completed term's is cached (reports/cache.py)."""

    def build():
        report = _school_report(school=school, term=term, terms=terms, today=today, viewer=viewer)
        report.commentary = Commentary.of(term)
        return report

    if term.ends_on >= today:
        return build()
    viewer_id = getattr(viewer, "pk", None)
    return cache.cached(
        "school", [school.pk], [school.pk, term.pk, today, viewer_id], lambda: _with_body(build())
    )


def _school_report(
    *, school: School, term: Term, terms: list[Term], today: date, viewer=None
) -> Report:
    threshold = threshold_for([school.pk])
    calendar = SchoolCalendar(school, terms=terms)
    so_far = term == calendar.current_term(today) and term.ends_on >= today
    compare = [calendar.previous_term(term), same_term_last_year(term, terms)]
    spans = [span_for_term(term, terms, today=today)]
    spans += [span_for_term(t, terms) for t in compare if t]
    # The trend: concerns of the last terms up to this one (counted with the figures).
    index = terms.index(term)
    trend_terms = terms[max(0, index - TREND_TERMS + 1) : index + 1]
    trend_spans = [span_for_term(t, terms, today=today) for t in trend_terms]
    figures, trend = figures_and_trend(spans, trend_spans, today=today, viewer=viewer)
    columns: list[Figures | None] = [figures[0]]
    rest = iter(figures[1:])
    columns += [next(rest) if t else None for t in compare]
    labels = category_labels([school.pk])
    specs = row_specs(labels)
    withheld = withheld_rows(viewer, [school.pk])
    tables, hidden = build_tables(columns, specs, threshold, withheld=withheld)

    # A term whose total the tables hide is hidden in the trend too.
    hidden_totals = {
        t.pk for col, t in enumerate([term, *compare]) if t and (col, "concerns.total") in hidden
    }
    span = spans[0]
    period = f"{term}{' so far' if so_far else ''} ({span.start:%-d %b %Y} – {span.end:%-d %b %Y})"
    head = [
        f"{term}{' so far' if so_far else ''}",
        f"Previous term ({compare[0]})" if compare[0] else "Previous term",
        f"Same term last year ({compare[1]})" if compare[1] else "Same term last year",
    ]
    category_cells = [
        (name, n, count_text(n, hide, threshold), hide)
        for key, name in labels.items()
        if f"cat.{key}" not in withheld
        for n in [columns[0].by_category.get(key, 0)]
        for hide in [(0, f"cat.{key}") in hidden]
    ]
    sections = [
        Section(
            "Concerns",
            [
                tables["Concerns"],
                tables["Routes"],
                tables["Outcomes"],
                tables["Triage and referrals"],
            ],
            charts=[
                charts.bar_chart(
                    "Concerns reported, by term",
                    [
                        (str(t), n, count_text(n, hide, threshold), hide)
                        for t, n in zip(trend_terms, trend, strict=True)
                        for hide in [1 <= n <= threshold or t.pk in hidden_totals]
                    ],
                    threshold,
                ),
                charts.hbar_chart(
                    f"Concerns by category, {term}",
                    [c for c in category_cells if c[1]],
                    threshold,
                ),
            ],
            note=(
                "Route is where the concern's category sends it (an allegation about the "
                "headteacher goes to the chair). Time to triage runs from the report to the "
                "first triage decision; the deadline is the category's rule. Outcomes are "
                "each concern's status today."
            ),
        ),
        Section("Devices", [tables["Devices"], tables["Confiscations by reason"]]),
        Section(
            "Policies",
            [tables["Policies and training"]],
            extra=[{"policies": policy_table(school.pk, today=today, staff=columns[0].staff)}],
            note="Policy status and review dates are as they are today.",
        ),
        Section("Lessons learnt", [tables["Lessons learnt"]]),
    ]
    return Report(
        title=f"Online safety report to governors: {school.name}",
        school_names=[school.name],
        period=period,
        columns=head,
        sections=sections,
        threshold=threshold,
        generated_on=today,
        withheld_note=WITHHELD_NOTE if withheld else "",
    )


def trust_report(*, schools: list[School], key: str, today: date, viewer=None) -> Report:
    """The same figures for each school of a trust side by side, and the trust's totals, for
    the term named by `key` (season-year, e.g. "autumn-2026") in each school's calendar.
    Cached once that term is over in every school (reports/cache.py)."""

    def build():
        return _trust_report(schools=schools, key=key, today=today, viewer=viewer)

    season, _, year = key.partition("-")
    ids = [s.pk for s in schools]
    open_somewhere = Term.objects.filter(
        school__in=ids, season=season, starts_on__year=year, ends_on__gte=today
    ).exists()
    if open_somewhere or not year.isdigit():
        return build()
    viewer_id = getattr(viewer, "pk", None)
    return cache.cached("trust", ids, [*ids, key, today, viewer_id], lambda: _with_body(build()))


def _trust_report(*, schools: list[School], key: str, today: date, viewer=None) -> Report:
    season, _, year = key.partition("-")
    terms_by_school: dict[int, list[Term]] = {}
    for t in Term.objects.filter(school__in=schools).order_by("starts_on"):
        terms_by_school.setdefault(t.school_id, []).append(t)
    spans: list[Span | None] = []
    for school in schools:
        terms = terms_by_school.get(school.pk, [])
        term = next(
            (t for t in terms if t.season == season and str(t.starts_on.year) == year), None
        )
        spans.append(span_for_term(term, terms, today=today) if term else None)
    present = [s for s in spans if s]
    figures = iter(figures_for(present, today=today, viewer=viewer))
    columns = [next(figures) if s else None for s in spans]
    total = combine([c for c in columns if c])
    columns.append(total)
    threshold = threshold_for([s.pk for s in schools])
    labels = category_labels([s.pk for s in schools])
    specs = row_specs(labels)
    withheld = withheld_rows(viewer, [s.pk for s in schools])
    tables, _ = build_tables(
        columns, specs, threshold, total_column=len(columns) - 1, withheld=withheld
    )
    sections = [
        Section(
            "Concerns",
            [
                tables["Concerns"],
                tables["Routes"],
                tables["Outcomes"],
                tables["Triage and referrals"],
            ],
        ),
        Section("Devices", [tables["Devices"], tables["Confiscations by reason"]]),
        Section("Policies", [tables["Policies and training"]]),
        Section("Lessons learnt", [tables["Lessons learnt"]]),
    ]
    return Report(
        title="Online safety report to governors: trust overview",
        school_names=[s.name for s in schools],
        period=f"{season.title()} {year}",
        columns=[s.name for s in schools] + ["Trust total"],
        sections=sections,
        threshold=threshold,
        generated_on=today,
        withheld_note=WITHHELD_NOTE if withheld else "",
    )


def combine(figures: list[Figures]) -> Figures | None:
    """The trust's totals: counts added up; medians and the longest time cannot be added, so
    the trust column shows the middle of the schools' medians and the longest of all."""
    if not figures:
        return None
    out = Figures(figures[0].span)

    def add(dicts):
        result = {}
        for d in dicts:
            for k, v in d.items():
                if isinstance(v, dict):
                    result[k] = add([result.get(k, {}), v])
                elif isinstance(v, int | float) and not isinstance(v, bool):
                    result[k] = result.get(k, 0) + v
        return result

    out.concerns = add(f.concerns for f in figures)
    out.by_category = add(f.by_category for f in figures)
    out.devices = add(f.devices for f in figures)
    out.policies = add(f.policies for f in figures)
    out.lessons = add(f.lessons for f in figures)
    medians = [f.concerns["median_triage"] for f in figures if f.concerns["median_triage"]]
    longest = [f.concerns["longest_triage"] for f in figures if f.concerns["longest_triage"]]
    out.concerns["median_triage"] = sorted(medians)[len(medians) // 2] if medians else None
    out.concerns["longest_triage"] = max(longest) if longest else None
    per_day = [f.devices["median_handovers"] for f in figures if f.devices["median_handovers"]]
    out.devices["median_handovers"] = sum(per_day) if per_day else None
    out.devices["school_days"] = max(f.devices["school_days"] for f in figures)
    p = out.policies
    p["ack_rate"] = (
        round(100 * p["ack_done"] / p["ack_expected"]) if p.get("ack_expected") else None
    )
    p["training_rate"] = (
        round(100 * p["training_up_to_date"] / p["staff"]) if p.get("staff") else None
    )
    return out
