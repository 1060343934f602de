import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools import access
from schools.models import SchoolType

from . import services, workflows
from .access_rules import ReportingPerm
from .forms import ReturnForm as PortalReturnForm
from .models import (
    SECTIONS,
    Campaign,
    Deadline,
    DeadlineMove,
    ProgressReport,
    ReportMeasure,
    ReportStatus,
    ReportTransition,
)

logger = logging.getLogger("safety_portal.reporting")


class BureauScoped:
    bureau_path = "bureau"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is None:
            return qs
        return qs.filter(**{f"{self.bureau_path}__in": bureau_ids})


class CampaignForm(forms.ModelForm):
    school_types = forms.MultipleChoiceField(
        label=gettext_lazy("school types in scope"), choices=SchoolType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Campaign
        fields = ("bureau", "name", "start_month", "end_date", "school_types")


@admin.register(Campaign)
class CampaignAdmin(BureauScoped, admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "start_month", "end_date")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        bureau_ids = access.admin_bureau_ids(request.user)
        if db_field.name == "bureau" and bureau_ids is not None:
            kwargs["queryset"] = db_field.related_model.objects.filter(pk__in=bureau_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            services.campaign_generate_deadlines(campaign=obj)
            return
        created = services.campaign_create(
            bureau=obj.bureau, name=obj.name, start_month=obj.start_month,
            end_date=obj.end_date, school_types=obj.school_types,
        )
        obj.pk = created.pk


class DeadlineForm(forms.ModelForm):
    """Move a deadline: the new day and the reason (required). The service's
    checks run in clean(), so a refusal (who may move a deadline whose notice
    is published or whose date has passed, a day outside the campaign) is shown
    on the form with what was typed kept (issue 8 item 3)."""

    moved_reason = forms.CharField(label=gettext_lazy("reason for the move"), max_length=200,
                                   required=True)

    class Meta:
        model = Deadline
        fields = ("due_date",)

    user = None  # set by DeadlineAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.instance.pk is None:
            return cleaned
        original = Deadline.objects.select_related("campaign").get(pk=self.instance.pk)
        try:
            services.deadline_move_check(deadline=original, new_date=cleaned.get("due_date"),
                                         reason=cleaned.get("moved_reason", ""), by=self.user)
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or _("You may not move this deadline.")) from exc
        except ValidationError as exc:
            # Field errors stay next to their field ("moved_reason", "due_date").
            if not hasattr(exc, "error_dict"):
                raise
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class DeadlineMoveInline(admin.TabularInline):
    """Every move of the deadline, oldest first: read-only history."""

    model = DeadlineMove
    extra = 0
    can_delete = False
    fields = ("old_date", "new_date", "reason", "moved_by", "moved_at", "revises_history")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Deadline)
class DeadlineAdmin(BureauScoped, admin.ModelAdmin):
    bureau_path = "campaign__bureau"
    form = DeadlineForm
    list_display = ("due_date", "kind", "original_due_date", "moved_times", "campaign")
    list_filter = ("kind", "campaign")
    readonly_fields = ("campaign", "kind", "original_due_date")
    list_select_related = ("campaign",)
    inlines = [DeadlineMoveInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(moved_count=Count("moves"))

    @admin.display(description=gettext_lazy("moves"), ordering="moved_count")
    def moved_times(self, obj):
        return obj.moved_count

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        # deadline_move checks again on the locked row; the form already did.
        try:
            services.deadline_move(deadline=obj, new_date=form.cleaned_data["due_date"],
                                   reason=form.cleaned_data["moved_reason"], by=request.user)
        except PermissionDenied:
            raise
        except ValidationError as exc:  # changed meanwhile by someone else
            messages.error(request, "; ".join(exc.messages))


class ReportMeasureInline(admin.TabularInline):
    model = ReportMeasure
    extra = 0
    can_delete = False
    fields = ("measure", "narrative")
    readonly_fields = fields


class ReportTransitionInline(admin.TabularInline):
    model = ReportTransition
    extra = 0
    can_delete = False
    fields = ("at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields


class ReturnForm(PortalReturnForm):
    """The portal's 退回 reason (its length rule and messages), in the
    admin's wider text box."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["rows"] = 10


@admin.register(ProgressReport)
class ProgressReportAdmin(BureauScoped, admin.ModelAdmin):
    bureau_path = "school__bureau"
    list_display = ("school", "deadline", "status", "timeliness_label", "first_submitted_at")
    list_filter = ("status", "deadline", "school__school_type")
    search_fields = ("school__name", "school__code")
    list_select_related = ("school", "deadline")
    readonly_fields = ("school", "deadline", "status", "sections_text", "first_submitted_at",
                       "last_submitted_at", "approved_at", "return_reason")
    exclude = ("sections",)  # shown as sections_text, labelled
    inlines = [ReportMeasureInline, ReportTransitionInline]
    actions = ["approve", "return_to_school"]

    @admin.display(description=gettext_lazy("sections"))
    def sections_text(self, obj):
        """The report's sections under their translated headings, in the
        bureau's order, line breaks kept and every text escaped (the stored
        JSON showed English keys)."""
        return format_html_join("", "<p><strong>{}</strong><br>{}</p>", (
            (label, linebreaksbr(obj.sections.get(key, ""), autoescape=True))
            for key, label in SECTIONS[obj.deadline.kind]))

    @admin.display(description=gettext_lazy("Timeliness"))
    def timeliness_label(self, obj):
        return obj.timeliness.label

    def has_review_permission(self, request):
        return bool(access.bureaus_for(request.user, ReportingPerm.REVIEW_REPORT))

    def _each(self, request, queryset, action, *, already: str, done_message: str,
              **kwargs) -> None:
        """Apply `action` to each selected report in its own transaction (the
        services' own) and report per item: how many were done, and which were
        skipped and why. One report that fails never stops the others, and never
        turns the whole action into a 500 with half of it done."""
        done, skipped = 0, []
        reports = list(queryset.select_related("school", "deadline").order_by("pk"))
        for report in reports:
            try:
                action(report=report, by=request.user, **kwargs)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                skipped.append((report, self._reason(report, exc, already)))
            except Exception:  # noqa: BLE001 - reported per item, logged in full
                logger.exception("admin %s of report %s failed", action.__name__, report.pk)
                skipped.append((report, _("an error occurred; it has been logged")))
        if done:
            messages.success(request, done_message % {"n": done})
        if skipped:
            messages.warning(request, _("%(m)s of %(total)s skipped: %(items)s") % {
                "m": len(skipped), "total": len(reports),
                "items": "; ".join(f"{report.school} {report.deadline.due_date:%Y-%m-%d}: "
                                   f"{reason}" for report, reason in skipped)})

    @staticmethod
    def _reason(report, exc, already: str) -> str:
        if isinstance(exc, PermissionDenied):
            return _("not allowed")
        current = ProgressReport.objects.filter(pk=report.pk).values_list(
            "status", flat=True).first()
        if current == already:
            return _("already approved") if already == ReportStatus.APPROVED \
                else _("already returned")
        return "; ".join(getattr(exc, "messages", [])) or _("not allowed")

    @staticmethod
    def _foreseen(reports, transition: str, already: str) -> list[tuple]:
        """[(report, reason it would be skipped or None)] for the confirmation
        page, from the workflow's own states, without a lock: the services
        decide again (state and permission) when the action is applied."""
        rule = workflows.REPORT.transitions[transition]
        rows = []
        for report in reports:
            if report.status == already:
                reason = (_("already approved") if already == ReportStatus.APPROVED
                          else _("already returned"))
            elif report.status not in rule.sources:
                reason = str(rule.refused)
            else:
                reason = None
            rows.append((report, reason))
        return rows

    @admin.action(description=gettext_lazy("Approve the selected reports"),
                  permissions=["review"])
    def approve(self, request, queryset):
        """Asks first, like the return (a newcomer's walk-through: approval ran
        at once), listing what will be approved and what will be skipped and
        why; then reports per item what was done (issue 8 item 9)."""
        if "apply" in request.POST:
            self._each(request, queryset, services.report_approve,
                       already=ReportStatus.APPROVED, done_message=_("%(n)s reports approved."))
            return None
        rows = self._foreseen(queryset.select_related("school", "deadline"), "approve",
                              ReportStatus.APPROVED)
        return TemplateResponse(request, "admin/reporting/approve_reports.html", {
            **self.admin_site.each_context(request),
            "title": _("Approve reports"),
            "to_approve": [report for report, reason in rows if reason is None],
            "skipped": [(report, reason) for report, reason in rows if reason is not None],
            "reports": [report for report, _reason in rows],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        })

    @admin.action(description=gettext_lazy("Return the selected reports to their schools"),
                  permissions=["review"])
    def return_to_school(self, request, queryset):
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(request, queryset, services.report_return,
                       already=ReportStatus.RETURNED,
                       done_message=_("%(n)s reports returned."),
                       reason=form.cleaned_data["reason"])
            return None
        return TemplateResponse(request, "admin/reporting/return_reports.html", {
            **self.admin_site.each_context(request),
            "title": _("Return reports to their schools"),
            "form": form, "reports": queryset.select_related("school", "deadline"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }, status=400 if "apply" in request.POST else 200)
