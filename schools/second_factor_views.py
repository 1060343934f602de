"""The second-factor pages: enrol (QR code, key, first code), the recovery codes
shown once, verify (a TOTP or a recovery code). Thin: the rules are in
schools.second_factor (devices) and schools.access (who, when)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import access
from . import second_factor as devices

RECOVERY_SESSION_KEY = "sp_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=40, strip=True,
        error_messages={"required": _("Type the code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "autocapitalize": "off", "spellcheck": "false"}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("home")


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


@login_required
def verify(request):
    """GET: the code form. POST: a TOTP or recovery code; accepted → the session
    is verified (schools.access.mark_second_factor_verified) and the person
    goes on to `next`; refused → 400 with the reason (and the wait, when
    throttled). With no device yet: the enrol page."""
    target = _next(request)
    if not access.has_second_factor_device(request.user):
        return redirect(_with_next("second_factor_enrol", target))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = devices.verify(request.user, form.cleaned_data["code"],
                                        request=request)
            except devices.CodeRefused as refused:
                form.add_error("code", refused.message)
            else:
                access.mark_second_factor_verified(request, device)
                return redirect(target)
    return render(request, "schools/second_factor/verify.html",
                  {"form": form, "next": target}, status=status)


@login_required
def enrol(request):
    """GET: the QR code and the key in groups of four. POST: the first code;
    accepted → the device is confirmed, the session verified, and the
    recovery codes are shown once. Someone with a confirmed device is sent to
    the verify page instead (a new device needs a reset first)."""
    target = _next(request)
    try:
        enrolment = devices.enrolment_start(request.user)
    except devices.AlreadyEnrolled:
        return redirect(_with_next("second_factor_verify", target))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device, codes = devices.enrolment_confirm(
                    request.user, form.cleaned_data["code"], request=request)
            except devices.AlreadyEnrolled:
                return redirect(_with_next("second_factor_verify", target))
            except devices.CodeRefused as refused:
                form.add_error("code", refused.message)
            else:
                access.mark_second_factor_verified(request, device)
                request.session[RECOVERY_SESSION_KEY] = codes
                return redirect(_with_next("second_factor_recovery_codes", target))
    return render(request, "schools/second_factor/enrol.html",
                  {"form": form, "next": target, "enrolment": enrolment}, status=status)


@login_required
@require_GET
def recovery_codes(request):
    """The recovery codes made at enrolment, once: they are taken out of the
    session as the page is drawn; a reload shows that they were shown."""
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    return render(request, "schools/second_factor/recovery_codes.html",
                  {"codes": codes, "next": _next(request),
                   "left": devices.recovery_codes_left(request.user)})
