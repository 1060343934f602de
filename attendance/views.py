"""The class register's pages (issue 11 item 1): 今日考勤 — the classes one
keeps and whether today's register is taken — and one class's register of
today, by exception, made for a phone. Thin: attendance.keepers says who
keeps which class, attendance.services writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core import clock
from core.forms import add_service_errors
from schools import access
from schools.calendar import is_school_day
from schools.models import Pupil, SchoolClass

from . import services
from .access_rules import AttendancePerm
from .forms import ContactForm
from .keepers import keeps, kept_classes, may_list
from .models import UNEXCUSED, AttendanceCode, ClassRegister, LeaveSource, Session, Symptom

REGISTER_LABEL = "attendance.classregister"


@never_cache
@require_GET
@login_required
def registers(request):
    """今日考勤: the classes the user keeps, each with today's register taken
    (when, by whom, how many exceptions) or not. 403 for whoever keeps none
    and may keep none (attendance.keepers.may_list)."""
    user = request.user
    if not may_list(user):
        access.deny(request, AttendancePerm.TAKE_REGISTER, request.path, status=403)
    today = clock.today()
    classes = list(kept_classes(user))
    taken = {r.school_class_id: r for r in ClassRegister.objects.filter(
        school_class__in=classes, day=today).select_related("taken_by")
        .prefetch_related("marks")}
    school_days = {}
    rows = []
    for school_class in classes:
        bureau_id = school_class.school.bureau_id
        if bureau_id not in school_days:
            school_days[bureau_id] = is_school_day(bureau_id, today)
        rows.append({"school_class": school_class, "register": taken.get(school_class.pk),
                     "school_day": school_days[bureau_id]})
    return render(request, "attendance/registers.html", {
        "rows": rows, "today": today,
        "several_schools": len({c.school_id for c in classes}) > 1})


def _class(request, pk: int) -> SchoolClass:
    """The class, if `request.user` keeps its register (404 otherwise: a
    class one does not keep is not named to them)."""
    school_class = get_object_or_404(SchoolClass.objects.select_related("school"), pk=pk)
    if not keeps(request.user, school_class):
        access.deny(request, AttendancePerm.TAKE_REGISTER, f"class:{pk}", status=404)
    return school_class


def _marks_from(data, pupils) -> list[services.MarkInput]:
    marks = []
    for pupil in pupils:
        code = data.get(f"code-{pupil.pk}", "")
        if not code:
            continue
        marks.append(services.MarkInput(
            pupil_id=pupil.pk, code=code, session=data.get(f"session-{pupil.pk}", Session.DAY),
            symptom=data.get(f"symptom-{pupil.pk}", ""),
            leave_source=data.get(f"source-{pupil.pk}", ""),
            leave_reason=data.get(f"reason-{pupil.pk}", "")))
    return marks


def _rows(pupils, current: dict[int, dict], errors: dict[str, list[str]]) -> list[dict]:
    rows = []
    for pupil in pupils:
        values = current.get(pupil.pk, {})
        error = errors.get(services.mark_key(pupil.pk))
        rows.append({"pupil": pupil, "code": values.get("code", ""),
                     "session": values.get("session", Session.DAY),
                     "symptom": values.get("symptom", ""),
                     "source": values.get("leave_source", ""),
                     "reason": values.get("leave_reason", ""),
                     "error": error[0] if error else "",
                     "open": bool(error)})
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def register(request, pk: int):
    """One class's register of today: every pupil enrolled, present unless
    marked; submitting with nothing marked records "no absences". Sent again
    the same day, it corrects the register (each change kept). A bad mark
    comes back as a 400 naming the pupil, with everything chosen kept. Each
    view of a taken register is an audit row (the register, by id)."""
    school_class = _class(request, pk)
    today = clock.today()
    pupils = list(Pupil.objects.enrolled().filter(current_class=school_class)
                  .order_by("name", "pk").only("pk", "code", "name", "gender"))
    existing = ClassRegister.objects.filter(school_class=school_class, day=today) \
        .select_related("taken_by", "changed_by").first()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        marks = _marks_from(request.POST, pupils)
        try:
            services.register_take(school_class=school_class, marks=marks, by=request.user,
                                   request=request)
        except PermissionDenied:
            access.deny(request, AttendancePerm.TAKE_REGISTER, f"class:{pk}", status=403)
        except ValidationError as exc:
            errors = exc.message_dict
            status = 400
        else:
            n = len(marks)
            messages.success(request, _("The register is recorded: no absences.") if not n else
                             _("The register is recorded with %(n)s exception(s).") % {"n": n})
            return redirect("attendance:registers")
        current = {m.pupil_id: {"code": m.code, "session": m.session, "symptom": m.symptom,
                                "leave_source": m.leave_source, "leave_reason": m.leave_reason}
                   for m in marks}
    else:
        current = {m.pupil_id: {f: getattr(m, f) for f in
                                ("code", "session", "symptom", "leave_source", "leave_reason")}
                   for m in existing.marks.all()} if existing else {}
        if existing:
            access.record_sensitive_reads(request, REGISTER_LABEL, [existing.pk], "view",
                                          AttendancePerm.TAKE_REGISTER,
                                          school_id=school_class.school_id)
    contact_of = {}
    if existing is not None:
        contact_of = {p.pk: reverse("attendance:contact", args=[existing.pk, p.code])
                      for p in pupils if current.get(p.pk, {}).get("code") in UNEXCUSED}
    rows = _rows(pupils, current, errors)
    for row in rows:
        row["contact_url"] = contact_of.get(row["pupil"].pk, "")
    return render(request, "attendance/register.html", {
        "school_class": school_class, "today": today, "register": existing,
        "school_day": is_school_day(school_class.school.bureau_id, today),
        "rows": rows,
        "day_error": (errors.get("day") or [""])[0],
        "codes": AttendanceCode.choices, "sessions": Session.choices,
        "symptoms": Symptom.choices, "sources": LeaveSource.choices,
        "failed": status == 400,
    }, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def contact(request, register_id: int, pupil_code):
    """联系家长: the same-day contact with the guardians of a pupil marked
    absent on a register — the guardians with their phone numbers (tap to
    call: this page is the only place the portal shows them for it), the
    contacts recorded so far and the form. For the class's keepers only (404
    otherwise); each view is an audit row (the pupil, by code)."""
    register = get_object_or_404(ClassRegister.objects.select_related(
        "school_class__school"), pk=register_id)
    if not keeps(request.user, register.school_class):
        access.deny(request, AttendancePerm.TAKE_REGISTER, f"register:{register_id}",
                    status=404)
    mark = register.marks.select_related("pupil").filter(pupil__code=pupil_code).first()
    if mark is None:
        access.deny(request, AttendancePerm.TAKE_REGISTER, f"register:{register_id}",
                    status=404)
    pupil = mark.pupil
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.contact_record(register=register, pupil=pupil, by=request.user,
                                        request=request, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The contact is recorded."))
                return redirect("attendance:contact", register_id=register.pk,
                                pupil_code=pupil.code)
        status = 400
    access.record_sensitive_reads(request, "schools.pupil", [pupil.code], "view",
                                  AttendancePerm.TAKE_REGISTER,
                                  school_id=register.school_id)
    return render(request, "attendance/contact.html", {
        "register": register, "mark": mark, "pupil": pupil, "form": form,
        "guardians": list(pupil.guardians.order_by("-is_primary", "pk")),
        "contacts": list(register.contacts.filter(pupil=pupil).select_related("recorded_by")),
    }, status=status)
