"""The user list's "reset second factor" action (issue 9 item 6): the bureau
admin picks people and a reason; each reset goes through
schools.second_factor.reset, which refuses the auditor and anyone outside the
admin's bureau and announces every reset for the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access
from . import second_factor as devices


class ResetReasonForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"),
                               choices=list(devices.RESET_REASONS.items()))


class ResetSecondFactorMixin:
    actions = ["reset_second_factor"]

    def has_reset_second_factor_permission(self, request) -> bool:
        return request.user.is_superuser or bool(
            access.bureaus_for(request.user, access.perm("schools.reset_second_factor")))

    @admin.action(description=gettext_lazy("Reset second factor (the person enrols again)"),
                  permissions=["reset_second_factor"])
    def reset_second_factor(self, request, queryset):
        form = ResetReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for subject in queryset:
                try:
                    devices.reset(subject, by=request.user, reason=form.cleaned_data["reason"],
                                  request=request)
                except PermissionDenied:
                    self.message_user(
                        request,
                        _("%(user)s: you may not reset this person's second factor.")
                        % {"user": subject}, messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(
                    request, _("Second factor reset for %(count)s people. They set it up "
                               "again when they next sign in.") % {"count": done},
                    messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reset second factor"),
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/schools/user/reset_second_factor.html",
                                context)
