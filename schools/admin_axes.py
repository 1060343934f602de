"""django-axes' admin pages in the bureau's language (issue 8 item 9).

axes' names and labels are translated in the portal's catalogue
(safety_portal/translation_fixes.py); what its admin builds from English
pieces — the status column ("3 Attempt Remaining") and the clean-up message
(an f-string inside gettext, which no catalogue can match) — is rebuilt here.
The bureau admin unlocks a teacher by deleting the teacher's access attempt.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class PortalAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        """"还可尝试 n 次" below AXES_FAILURE_LIMIT failures, "已锁定" at it."""
        left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(n)s attempt left", "%(n)s attempts left", left) % {"n": left}
        return gettext("Locked out")

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, ngettext(
            "%(n)s expired access attempt cleaned up.",
            "%(n)s expired access attempts cleaned up.", count) % {"n": count})


# axes registers its admin (AXES_ENABLE_ADMIN) before this app is discovered.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, PortalAccessAttemptAdmin)
