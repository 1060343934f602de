"""The pages of the monthly dispute screening (矛盾纠纷排查; issue 10 items 4
and 7): a school's months and the disputes still being mediated, one month's
return (record disputes, file it, or file "none found"), the end of a
dispute's mediation, and the bureau's filing view with its Excel and due day.

A school's disputes name no child (parties by role): no second factor. A
school's page is its principal's and safety officer's (incidents.
file_disputes; a 404 for the school's other staff and for other schools, a
403 for whoever files nowhere); the bureau's view is for holders of
incidents.view_counts. Thin: the services decide.
"""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock, downloads
from core.forms import add_service_errors
from core.workflows import InvalidTransition
from schools import access
from schools.models import School

from . import dispute_counts, disputes
from .access_rules import IncidentsPerm
from .forms import (
    CountsFilterForm,
    DisputeForm,
    DisputeReturnSubmitForm,
    DisputeSettleForm,
    DueDayForm,
)
from .models import Dispute
from .views import bureau_filter_request, chosen_bureau


def _school(request, pk: int) -> School:
    if not access.holds_anywhere(request.user, IncidentsPerm.FILE_DISPUTES):
        access.deny(request, IncidentsPerm.FILE_DISPUTES, request.path, status=403)
    return access.get_for_user(request, School.objects, IncidentsPerm.FILE_DISPUTES, pk=pk)


def _month(school: School, year: int, month: int) -> dt.date:
    """The month of the URL, one the school's page offers (else a 404)."""
    try:
        first = dt.date(year, month, 1)
    except ValueError:
        raise Http404 from None
    if first not in disputes.month_choices(school, count=120):
        raise Http404
    return first


@require_GET
@login_required
def school_disputes(request, pk: int):
    """矛盾纠纷排查 of school `pk`: its last twelve months, each with its due
    date and whether its return is filed (late or not), and the disputes
    still being mediated, with their forms to record the end of it."""
    school = _school(request, pk)
    return render(request, "incidents/disputes_school.html", {
        "school": school, "months": disputes.school_months(school),
        "open_disputes": list(disputes.open_disputes(school)),
        "settle_form": DisputeSettleForm(), "today": clock.today(),
        "due_day_text": dispute_counts.due_day_text(disputes.due_day_of(school.bureau_id))})


def _return_page(request, school, month, *, dispute_form=None, submit_form=None, status=200):
    screening = disputes.return_for(school, month)
    due = disputes.due_date(month, disputes.due_day_of(school.bureau_id, month))
    filed = screening is not None and screening.is_submitted
    return render(request, "incidents/dispute_return.html", {
        "school": school, "month": month, "due": due, "screening": screening,
        "overdue": clock.today() > due,
        "filed": filed, "late": filed and clock.today(screening.submitted_at) > due,
        "disputes": list(disputes.month_disputes(screening)),
        "carried": list(disputes.carried_over(school, month)),
        "dispute_form": None if filed else dispute_form or DisputeForm(
            staff=disputes.responsible_choices(school),
            initial={"found_on": min(clock.today(), disputes.next_month(month)
                                     - dt.timedelta(days=1))}),
        "submit_form": None if filed else submit_form or DisputeReturnSubmitForm(),
    }, status=status)


@require_GET
@login_required
def dispute_return(request, pk: int, year: int, month: int):
    """The school's return for one month: the disputes recorded for it, those
    carried over from earlier months, and — until it is filed — the form to
    record a dispute and the button to file it."""
    school = _school(request, pk)
    return _return_page(request, school, _month(school, year, month))


@require_POST
@login_required
def dispute_add(request, pk: int, year: int, month: int):
    """Record a dispute in the month's return; a bad POST is a 400 with what
    was typed kept."""
    school = _school(request, pk)
    first = _month(school, year, month)
    form = DisputeForm(request.POST, staff=disputes.responsible_choices(school))
    if form.is_valid():
        data = form.cleaned_data
        try:
            disputes.dispute_add(school=school, month=first, by=request.user,
                                 kind=data["kind"], parties=data["parties"],
                                 summary=data["summary"], risk=data["risk"],
                                 responsible_id=data["responsible"], found_on=data["found_on"],
                                 request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The dispute was recorded. File the return when the "
                                        "month's screening is complete."))
            return redirect("incidents:dispute_return", pk=school.pk, year=year, month=month)
    return _return_page(request, school, first, dispute_form=form, status=400)


@require_POST
@login_required
def dispute_return_submit(request, pk: int, year: int, month: int):
    """File the month's return (with its disputes, or "none found")."""
    school = _school(request, pk)
    first = _month(school, year, month)
    form = DisputeReturnSubmitForm(request.POST)
    if form.is_valid():
        try:
            disputes.dispute_return_submit(school=school, month=first, by=request.user,
                                           none_found=form.cleaned_data["none_found"],
                                           request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The return for %(month)s is filed.") % {
                "month": f"{first:%Y-%m}"})
            return redirect("incidents:school_disputes", pk=school.pk)
    return _return_page(request, school, first, submit_form=form, status=400)


@require_POST
@login_required
def dispute_remove(request, code):
    """Take back a dispute recorded by mistake, while its month's return is
    not filed; back to the return, or the return with the reason (400)."""
    if not access.holds_anywhere(request.user, IncidentsPerm.FILE_DISPUTES):
        access.deny(request, IncidentsPerm.FILE_DISPUTES, request.path, status=403)
    dispute = access.get_for_user(request, Dispute.objects.select_related(
        "school", "screening_return"), IncidentsPerm.FILE_DISPUTES, code=code)
    month = dispute.screening_return.month
    try:
        disputes.dispute_remove(dispute=dispute, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.message_dict.get("dispute", [])))
        return _return_page(request, dispute.school, month, status=400)
    messages.success(request, _("The dispute was taken back."))
    return redirect("incidents:dispute_return", pk=dispute.school_id, year=month.year,
                    month=month.month)


@require_POST
@login_required
def dispute_settle(request, code):
    """Record that a dispute was resolved or transferred; back to the school's
    page, or that page again with the error (400)."""
    if not access.holds_anywhere(request.user, IncidentsPerm.FILE_DISPUTES):
        access.deny(request, IncidentsPerm.FILE_DISPUTES, request.path, status=403)
    dispute = access.get_for_user(request, Dispute.objects.select_related("school"),
                                  IncidentsPerm.FILE_DISPUTES, code=code)
    form = DisputeSettleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            disputes.dispute_settle(dispute=dispute, name=data["action"], on=data["on"],
                                    transferred_to=data["transferred_to"], by=request.user,
                                    request=request)
        except InvalidTransition as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The dispute's mediation was recorded."))
            return redirect("incidents:school_disputes", pk=dispute.school_id)
    school = dispute.school
    return render(request, "incidents/disputes_school.html", {
        "school": school, "months": disputes.school_months(school),
        "open_disputes": list(disputes.open_disputes(school)),
        "settle_form": form, "settling": dispute.code, "today": clock.today(),
        "due_day_text": dispute_counts.due_day_text(disputes.due_day_of(school.bureau_id))},
        status=400)


# ------------------------------------------------------------------ the bureau


def _bureau_request(request):
    return bureau_filter_request(request, target="dispute_completeness",
                                 template="incidents/disputes_bureau.html", empty="data")


PER_PAGE = 50


@require_GET
@login_required
def bureau_disputes(request):
    """矛盾纠纷排查报送 (issue 10 items 4 and 7): per month, how many schools
    owe the return and filed it on time or late; the disputes found by kind,
    risk and mediation (suppressed); then every school's mark per month, 50
    a page. The bureau admin sets the due day here."""
    bureau, form, year, school_type, refused = _bureau_request(request)
    if refused is not None:
        return refused
    return _bureau_page(request, bureau, form, year, school_type)


def _bureau_page(request, bureau, form, year, school_type, *, due_day_form=None, status=200):
    data = dispute_counts.dispute_completeness(bureau_id=bureau.pk, year=year,
                                               school_type=school_type)
    page = Paginator(dispute_counts.bureau_schools(bureau.pk, school_type), PER_PAGE) \
        .get_page(request.GET.get("page"))
    query = {"year": year, "school_type": school_type, "bureau": request.GET.get("bureau", "")}
    may_set = bureau.pk in access.bureaus_for(request.user, IncidentsPerm.SET_DISPUTE_DAY)
    labels = dispute_counts.mark_labels()
    return render(request, "incidents/disputes_bureau.html", {
        "bureau": bureau, "form": form, "data": data, "page": page,
        "school_rows": [(school, [(mark, labels[mark]) for mark in marks]) for school, marks
                        in dispute_counts.school_marks(list(page), months=data.months)],
        "legend": dispute_counts.legend(),
        "kind_rows": list(zip(data.kinds, data.by_kind.cells, data.by_kind.row_totals,
                              strict=True)),
        "risk_rows": list(zip(data.risks, data.by_risk.cells, data.by_risk.row_totals,
                              strict=True)),
        "month_numbers": range(1, 13),
        "due_day_text": dispute_counts.due_day_text(data.due_day),
        "due_day_form": due_day_form or (
            DueDayForm(initial={"due_day": data.due_day}) if may_set else None),
        "query": urlencode({k: v for k, v in query.items() if v})}, status=status)


@require_GET
@login_required
def bureau_disputes_xlsx(request):
    """The bureau view as an Excel file (the same suppression, every school);
    the download is an audit row (export.dispute_returns)."""
    bureau, form, year, school_type, refused = _bureau_request(request)
    if refused is not None:
        return refused
    data = dispute_counts.dispute_completeness(bureau_id=bureau.pk, year=year,
                                               school_type=school_type)
    out = io.BytesIO()
    dispute_counts.write_workbook(
        data, bureau_name=bureau.name, out=out,
        schools=dispute_counts.bureau_schools(bureau.pk, school_type).iterator(chunk_size=2000))
    out.seek(0)
    disputes.dispute_completeness_exported(bureau=bureau, year=year, school_type=school_type,
                                           by=request.user, request=request)
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument"
                                              ".spreadsheetml.sheet")
    return downloads.attachment(
        response, downloads.file_name(_("Dispute screening"), bureau.name, str(year),
                                      ext="xlsx"),
        fallback=f"disputes_{bureau.code}_{year}.xlsx")


@require_http_methods(["POST"])
@login_required
def bureau_dispute_day(request):
    """The bureau admin sets the due day of the monthly return (POST)."""
    bureau = chosen_bureau(request, IncidentsPerm.SET_DISPUTE_DAY, "dispute_day",
                           request.POST.get("bureau", ""))
    form = DueDayForm(request.POST)
    if form.is_valid():
        try:
            disputes.dispute_schedule_set(bureau=bureau, due_day=form.cleaned_data["due_day"],
                                          by=request.user, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The due day was saved; the schools' open returns "
                                        "now fall due on it."))
            return redirect("incidents:bureau_disputes")
    filters = CountsFilterForm.recent()
    return _bureau_page(request, bureau, filters, filters.initial["year"], "",
                        due_day_form=form, status=400)
