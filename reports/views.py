"""The governors' report: a page, a PDF and a CSV built from one `reports.report.Report`;
and a learner's chronology (`reports.chronology`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from people.calendar import SchoolCalendar
from people.models import Learner, Membership, School, Term, Trust
from reports.chronology import for_page, learner_chronology, rows_html
from reports.evidence import evidence_pack, trust_document, trust_pack
from reports.forms import CommentaryForm
from reports.models import Commentary
from reports.report import school_report, threshold_for, trust_report
from reports.subject_access import flag_pattern, learner_file, marked, staff_file
from reports.suppression import NOT_SHOWN, fewer_than
from roper.exports import BOM, SafeWriter
from roper.models import AccessLog
from roper.pdf import pdf_response
from roper.permissions import (
    get_object_or_404,
    has_perm,
    member_of,
    permission_required,
    require,
    trust_roles,
)
from roper.roles import roles_holding

PERMISSION = "reports.governors"


def _term_choices(calendar, now):
    """Terms the picker offers: every term already begun, newest first; the current one is
    "so far"."""
    current = calendar.current_term(now)
    choices = []
    for term in reversed(calendar.terms):
        if term.ends_on < now:
            choices.append((str(term.pk), str(term)))
        elif term == current:
            choices.append(("now", f"{term} so far"))
    return choices


@permission_required(PERMISSION)
def governors(request):
    now = SchoolCalendar.today()
    param = request.GET.get("term", "")
    if param and param != "now":
        if not param.isdigit():
            raise Http404
        # The term and its school's whole calendar in one query; refused as
        # `get_object_or_404` refuses: another school's term is a 404, a term of the user's
        # own school that their roles do not cover a 403.
        terms = list(
            Term.objects.filter(school__in=member_of(request.user), school__terms__pk=param)
            .select_related("school")
            .order_by("starts_on")
        )
        term = next((t for t in terms if t.pk == int(param)), None)
        if term is None:
            raise Http404
        school = term.school
        require(request.user, PERMISSION, school)
        calendar = SchoolCalendar(school, terms=terms)
    else:
        school = request.school
        require(request.user, PERMISSION, school)
        calendar = SchoolCalendar(school)
        current = calendar.current_term(now)
        term = current if param == "now" else (calendar.last_completed_term(now) or current)
    if term is None:
        return render(request, "reports/governors.html", {"report": None, "school": school})
    report = school_report(
        school=school, term=term, terms=calendar.terms, today=now, viewer=request.user
    )
    commentary = report.commentary
    fmt = request.GET.get("format", "")
    filename = f"governors-report-{slugify(school.name)}-{slugify(str(term))}"
    if fmt:
        return _download(request, report, fmt, filename, commentary)
    may_comment = has_perm(request.user, "reports.commentary", school)
    return render(
        request,
        "reports/governors.html",
        {
            "report": report,
            "term": term,
            "selected": "now" if term == calendar.current_term(now) else str(term.pk),
            "choices": _term_choices(calendar, now),
            "commentary": commentary,
            "form": CommentaryForm(instance=commentary) if may_comment else None,
            "trusts": _trusts(request.user),
        },
    )


def _download(request, report, fmt, filename, commentary=None):
    context = {"report": report, "commentary": commentary}
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response.write(BOM)  # Excel reads the file as UTF-8 only with it
        write_csv(response, report, commentary)
        return response
    if fmt == "pdf":
        return pdf_response(
            request, template="reports/governors_pdf.html", context=context, filename=filename
        )
    raise Http404


def write_csv(out, report, commentary=None):
    writer = SafeWriter(out)
    writer.writerow([report.title])
    writer.writerow(["Period", report.period])
    writer.writerow(
        [
            "Small numbers",
            f"counts from 1 to {report.threshold} are shown as “{report.suppressed_text}”",
        ]
    )
    if report.withheld_note:
        writer.writerow(["Not shown to you", report.withheld_note])
    writer.writerow([])
    writer.writerow(["Section", "Figure", *report.columns])
    for section in report.sections:
        for table in section.tables:
            for row in table.rows:
                writer.writerow([table.title, row.label, *row.cells])
        for extra in section.extra:
            writer.writerow([])
            writer.writerow(
                ["Policy", "Status", "Next review", "Overdue", "Acknowledged (current version)"]
            )
            for p in extra["policies"]:
                writer.writerow(
                    [
                        p["title"],
                        p["status"],
                        p["next_review_on"].isoformat() if p["next_review_on"] else "",
                        "yes" if p["overdue"] else "no",
                        "" if p["ack_rate"] is None else f"{p['ack_rate']}%",
                    ]
                )
            writer.writerow([])
    if commentary and commentary.text:
        writer.writerow([])
        writer.writerow(["Named governor's commentary", commentary.text])


@require_POST
@permission_required("reports.commentary")
def commentary_save(request, term_id):
    term = Term.objects.select_related("school").get_for_user(
        request.user, "reports.commentary", pk=term_id
    )
    commentary = Commentary.of(term)
    form = CommentaryForm(request.POST, instance=commentary)
    if form.is_valid():
        saved = form.save(commit=False)
        saved.school, saved.term, saved.updated_by = term.school, term, request.user
        saved.save()
        messages.success(request, "Commentary saved.")
    else:
        messages.error(request, "The commentary could not be saved.")
    return redirect(f"{reverse('reports:governors')}?term={term.pk}")


# -- the trust view ---------------------------------------------------------------------


def _trusts(user, permission=PERMISSION):
    """Trusts in which the user holds a trust-level role that reads governor reports (or
    holds `permission`)."""
    allowed = roles_holding(permission)
    ids = [trust for trust, roles in trust_roles(user).items() if trust and roles & allowed]
    return list(Trust.objects.filter(pk__in=ids).order_by("name")) if ids else []


def _trust_keys(schools, now):
    """(key, label) of the terms the trust's schools' pickers offer (each school's terms over
    and its current one), newest first."""
    by_school: dict[int, list[Term]] = {}
    for term in Term.objects.filter(school__in=schools).order_by("starts_on"):
        by_school.setdefault(term.school_id, []).append(term)
    offered = []
    for school in schools:
        calendar = SchoolCalendar(school, terms=by_school.get(school.pk, []))
        current = calendar.current_term(now)
        offered += [t for t in calendar.terms if t.ends_on < now or t == current]
    keys = {}
    for term in sorted(offered, key=lambda t: t.starts_on, reverse=True):
        key = f"{term.season}-{term.starts_on.year}"
        label = str(term) + (" so far" if term.ends_on >= now else "")
        keys.setdefault(key, (label, term.ends_on < now))
    return keys


def _trust_and_term(request, permission: str):
    """For a trust-level page: the trusts the user reads (403 without one), the one asked for
    (`?trust=`, else the first; 404 for another), its schools, today, the terms on offer and
    the one asked for (`?term=`, else the last completed; 404 for one not on offer)."""
    trusts = _trusts(request.user, permission)
    if not trusts:
        # The report's readers in a school, who hold no trust-level role.
        raise PermissionDenied
    param = request.GET.get("trust", "")
    chosen = next((t for t in trusts if str(t.pk) == param), None) if param else trusts[0]
    if chosen is None:
        raise Http404
    schools = list(School.objects.filter(trust=chosen).order_by("name"))
    now = SchoolCalendar.today()
    keys = _trust_keys(schools, now)
    key = request.GET.get("term") or next((k for k, (_, done) in keys.items() if done), "")
    if not key and keys:
        key = next(iter(keys))
    if key and key not in keys:
        raise Http404
    return trusts, chosen, schools, now, keys, key


@permission_required(PERMISSION)
def trust(request):
    trusts, chosen, schools, now, keys, key = _trust_and_term(request, PERMISSION)
    report = trust_report(schools=schools, key=key, today=now, viewer=request.user) if key else None
    fmt = request.GET.get("format", "")
    if fmt and report:
        return _download(request, report, fmt, f"governors-report-{slugify(chosen.name)}-{key}")
    return render(
        request,
        "reports/trust.html",
        {
            "report": report,
            "trust": chosen,
            "trusts": trusts,
            "choices": [(k, label) for k, (label, _) in keys.items()],
            "selected": key,
        },
    )


# -- the phone-free school evidence pack (issue 18) -----------------------------------------

EVIDENCE = "reports.evidence"
EVIDENCE_FULL = "reports.evidence_full"


def _chosen_term(request, permission):
    """(school, calendar, term) of the `term` parameter, as the governors' report picks it:
    a term id, "now", or by default the last completed term (the current one before any)."""
    now = SchoolCalendar.today()
    param = request.GET.get("term", "")
    if param and param != "now":
        if not param.isdigit():
            raise Http404
        term = Term.objects.select_related("school").get_for_user(
            request.user, permission, pk=int(param)
        )
        calendar = SchoolCalendar(term.school)
        return term.school, calendar, term
    school = request.school
    require(request.user, permission, school)
    calendar = SchoolCalendar(school)
    current = calendar.current_term(now)
    term = current if param == "now" else (calendar.last_completed_term(now) or current)
    return school, calendar, term


@permission_required(EVIDENCE)
def evidence(request):
    """One school's evidence pack for a term: in full (named) for the head, leadership and
    the DSL; anonymised, as the governors' report, for everyone else who reads it."""
    now = SchoolCalendar.today()
    school, calendar, term = _chosen_term(request, EVIDENCE)
    if term is None:
        return render(request, "reports/evidence.html", {"pack": None, "school": school})
    full = has_perm(request.user, EVIDENCE_FULL, school)
    pack = evidence_pack(
        school=school, term=term, terms=calendar.terms, today=now, viewer=request.user, full=full
    )
    fmt = request.GET.get("format", "")
    if fmt:
        filename = f"evidence-pack-{slugify(school.name)}-{slugify(str(term))}"
        return _evidence_download(request, pack, fmt, filename)
    return render(
        request,
        "reports/evidence.html",
        {
            "pack": pack,
            "term": term,
            "selected": "now" if term == calendar.current_term(now) else str(term.pk),
            "choices": _term_choices(calendar, now),
            "trusts": _trusts(request.user, EVIDENCE),
        },
    )


def _evidence_download(request, pack, fmt, filename):
    """The pack (a school's, or the trust's) as a PDF or a CSV; 404 for another format."""
    if fmt == "pdf":
        return pdf_response(
            request, template="reports/evidence_pdf.html", context={"pack": pack}, filename=filename
        )
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response.write(BOM)  # Excel reads the file as UTF-8 only with it
        write_evidence_csv(response, pack)
        return response
    raise Http404


def write_evidence_csv(out, pack):
    writer = SafeWriter(out)
    writer.writerow([pack.title])
    writer.writerow(["Period", pack.period])
    if pack.anonymised:
        writer.writerow(
            [
                "Small numbers",
                f"counts from 1 to {pack.threshold} are shown as “{pack.suppressed_text}”",
            ]
        )
    for section in pack.sections:
        for table in section.tables:
            writer.writerow([])
            writer.writerow([section.title, table.title])
            writer.writerow(["", *table.columns])
            for row in table.rows:
                writer.writerow([row.label, *row.cells])
        for line in section.lines:
            writer.writerow([section.title, line])
    if pack.exemptions:
        writer.writerow([])
        writer.writerow(["Learner", "Year and class", "Reason", "Review by", "State"])
        for e in pack.exemptions:
            review_on = e["review_on"].isoformat()
            writer.writerow([e["learner"], e["group"], e["reason_label"], review_on, e["state"]])


@permission_required(EVIDENCE)
def evidence_trust(request):
    """The trust's schools side by side (counts per school), for trust-level readers."""
    trusts, chosen, schools, now, keys, key = _trust_and_term(request, EVIDENCE)
    table = trust_pack(schools=schools, key=key, today=now, viewer=request.user) if key else None
    threshold = threshold_for([s.pk for s in schools]) if schools else 0
    fmt = request.GET.get("format", "")
    if fmt:
        if table is None:
            raise Http404
        label = keys[key][0]
        pack = trust_document(trust=chosen, schools=schools, label=label, table=table, today=now)
        filename = f"evidence-pack-{slugify(chosen.name)}-{key}"
        return _evidence_download(request, pack, fmt, filename)
    return render(
        request,
        "reports/evidence_trust.html",
        {
            "table": table,
            "trust": chosen,
            "trusts": trusts,
            "choices": [(k, label) for k, (label, _) in keys.items()],
            "selected": key,
            "suppressed_text": fewer_than(threshold),
            "not_shown_text": NOT_SHOWN,
            "threshold": threshold,
        },
    )


@permission_required("learners.chronology", model=Learner)
def chronology(request, pk):
    """Everything about one learner that the user may see, in time order. Every view is
    written to the access log (a refusal too, by get_object_or_404)."""
    learner = get_object_or_404(
        Learner.objects.select_related("school"), request.user, "learners.chronology", pk=pk
    )
    events = for_page(learner_chronology(learner=learner, user=request.user))
    AccessLog.record_access(
        user=request.user,
        obj=learner,
        school=learner.school_id,
        what=f"chronology of learner {learner.pk}",
    )
    return render(
        request,
        "reports/chronology.html",
        {"learner": learner, "events": events, "rows": rows_html(events)},
    )


@permission_required("learners.subject_access", model=Learner)
def subject_access(request, pk):
    """A subject access request: everything Roper holds about one learner that the user may
    see, third parties flagged, as a page to review and as JSON (`?format=json`). Each is
    written to the access log."""
    learner = get_object_or_404(
        Learner.objects.select_related("school"), request.user, "learners.subject_access", pk=pk
    )
    return _subject_access(
        request,
        data=learner_file(learner=learner, user=request.user),
        obj=learner,
        school=learner.school_id,
        who=f"learner {learner.pk}",
        filename=f"subject-access-{slugify(learner.upn)}",
        sections=(
            ("learner", "The learner"),
            ("parents_and_carers", "Parents and carers"),
            ("concerns", "Concerns"),
            ("confiscations", "Confiscations and their custody"),
            ("searches", "Searches"),
            ("breaches", "Breaches of the phone policy"),
            ("notices_to_parents", "Notices to parents and carers"),
            ("exemptions", "Exemptions"),
            ("parent_contact_exceptions", "Parent contact exceptions"),
            ("phone_handovers", "Phones handed in at the office"),
            ("absences_marked", "Absences marked by the office"),
        ),
        template="reports/subject_access.html",
        context={"learner": learner},
    )


def _subject_access(request, *, data, obj, school, who, filename, sections, template, context):
    """A subject access export (`data`) as a page to review, each of `sections` (key, title)
    with the third parties' names marked, or as JSON (`?format=json`); written to the access
    log either way."""
    as_json = request.GET.get("format") == "json"
    AccessLog.record_access(
        user=request.user,
        obj=obj,
        school=school,
        what=f"subject access export of {who}{' (JSON)' if as_json else ''}",
        action=AccessLog.Action.DOWNLOAD if as_json else AccessLog.Action.VIEW,
    )
    if as_json:
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        response["Cache-Control"] = "no-store"
        return response
    pattern = flag_pattern(data["third_parties"])
    marked_sections = [(title, marked(data[key], pattern)) for key, title in sections]
    return render(request, template, {**context, "file": data, "sections": marked_sections})


STAFF_SAR = "staff.subject_access"


@permission_required(STAFF_SAR, where="active")
def staff_subject_access_list(request):
    """The members of the school one works in, to choose whose subject access request."""
    members = Membership.objects.members(request.school)
    return render(request, "reports/staff_subject_access_list.html", {"members": members})


@permission_required(STAFF_SAR, where="active")
def staff_subject_access(request, pk):
    """A subject access request of a member of staff: everything Roper holds about them at
    the school one works in that the user may see, third parties flagged, as a page and as
    JSON (`?format=json`). Each is written to the access log."""
    member = Membership.objects.members(request.school).filter(pk=pk).first()
    if member is None:
        raise Http404
    return _subject_access(
        request,
        data=staff_file(member=member, school=request.school, user=request.user),
        obj=member,
        school=request.school,
        who=f"staff member {member.pk}",
        filename=f"subject-access-staff-{member.pk}",
        sections=(
            ("member", "The member of staff"),
            ("roles", "Roles"),
            ("concerns", "Concerns naming them or reported by them"),
            ("confiscations", "Devices they confiscated or moved"),
            ("policy_acknowledgements", "Policies acknowledged"),
            ("training", "Training"),
            ("exceptions_requested", "Exceptions they asked for"),
            ("desk_entries", "Phone handovers at the desk"),
            ("roles_and_sign_in_audit", "Changes to their roles and sign-in"),
            ("access_log", "What they opened (the access log)"),
        ),
        template="reports/staff_subject_access.html",
        context={"member": member},
    )
