from django.contrib import admin

from .models import Notice


class NoticeAdmin(admin.ModelAdmin):
    """Read-only: notices are written by services and the delivery task only."""

    list_display = ("key", "kind", "recipient", "language", "status", "attempts",
                    "next_attempt_at", "sent_at", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("key", "subject_code")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = ("key", "kind", "subject_type", "subject_code", "recipient", "language",
                       "context", "status", "attempts",
                       "next_attempt_at", "sent_at", "read_at", "created_at", "last_error")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Who may view it: schools.access.ADMIN_MODEL_RULES["notifications.notice"].
admin.site.register(Notice, NoticeAdmin)
