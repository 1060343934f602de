from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import kinds
from .models import Notice


class KindFilter(admin.SimpleListFilter):
    """Filter by kind, named by the registered kinds' labels (the stored names
    are codes such as "returned")."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(k.name, k.label) for k in kinds.all_kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class NoticeAdmin(admin.ModelAdmin):
    """Read-only: notices are written by services and the delivery task only."""

    list_display = ("key", "kind_label", "recipient", "language", "status", "attempts",
                    "next_attempt_at", "sent_at", "created_at")
    list_filter = (KindFilter, "status")
    search_fields = ("key", "subject_code")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = ("key", "kind", "subject_type", "subject_code", "recipient", "language",
                       "context", "status", "attempts",
                       "next_attempt_at", "sent_at", "read_at", "created_at", "last_error")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, notice: Notice) -> str:
        return notice.kind_label

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Who may view it: schools.access.ADMIN_MODEL_RULES["notifications.notice"].
admin.site.register(Notice, NoticeAdmin)
