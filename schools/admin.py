from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access, admin_axes, selectors, services  # noqa: F401 - admin_axes registers axes' pages
from .admin_site import person_label
from .models import (
    Bureau,
    CalendarDay,
    Membership,
    School,
    SchoolClass,
    SchoolTerm,
    TaskForceMember,
    User,
)
from .second_factor_admin import ResetSecondFactorMixin

# Roles are Memberships; Django groups would be a second, drifting source of truth.
admin.site.unregister(Group)
# django-otp's own admin pages would show every device's secret key and QR code:
# devices are reset through the user list's action instead (issue 9 item 6).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class BureauScopedAdmin(admin.ModelAdmin):
    """Rows limited to the bureaus the signed-in user works for."""

    bureau_path = "bureau"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is None:
            return qs
        return qs.filter(**{f"{self.bureau_path}__in": bureau_ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is not None and db_field.related_model is School:
            kwargs["queryset"] = School.objects.filter(bureau_id__in=bureau_ids)
        elif bureau_ids is not None and db_field.related_model is Bureau:
            kwargs["queryset"] = Bureau.objects.filter(pk__in=bureau_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(ResetSecondFactorMixin, DjangoUserAdmin):
    list_display = ("username", "full_name", "phone", "is_active", "last_login")
    list_filter = ("is_active", "memberships__role")
    search_fields = ("username", "full_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email", "language")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "full_name", "phone", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def user_change_password(self, request, id, form_url=""):
        # Never the auditor's password, nor outside the admin's bureau (G6).
        subject = self.get_object(request, id)
        if subject is not None and subject != request.user and not access.may_reset_credentials(
                request.user, subject):
            access.deny(request, "schools.reset_second_factor", f"user:{subject.pk}", status=403)
        # A successful reset redirects; announce it (audit records "password.reset").
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.password_set_by(user=self.get_object(request, id), by=request.user,
                                     request=request)
        return response

    def has_change_permission(self, request, obj=None):
        # Someone who also belongs to another bureau (or a superuser) is shown,
        # not changed: neither bureau's admin alone manages them (issue 9 item 7).
        if obj is not None and not access.may_manage_account(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is None:
            return qs
        # People of this bureau's schools and offices, and accounts not yet placed.
        return qs.filter(
            Q(memberships__school__bureau_id__in=bureau_ids)
            | Q(memberships__bureau_id__in=bureau_ids)
            | Q(memberships__isnull=True)
        ).filter(is_superuser=False).distinct()


@admin.register(Bureau)
class BureauAdmin(BureauScopedAdmin):
    bureau_path = "pk"
    list_display = ("code", "name", "doc_code")
    search_fields = ("code", "name")


class SchoolClassInline(admin.TabularInline):
    model = SchoolClass
    extra = 0


@admin.register(School)
class SchoolAdmin(BureauScopedAdmin):
    list_display = ("code", "name", "school_type", "is_open", "in_campaign", "joined_on",
                    "closed_on")
    list_filter = ("school_type", "is_open", "in_campaign")
    search_fields = ("code", "name")
    inlines = [SchoolClassInline]
    # Set from the flags when saved (schools.receivers): typing a past day in
    # would change past rates and 通报 (issue 8 item 3).
    readonly_fields = ("joined_on", "closed_on")

    def save_model(self, request, obj, form, change):
        services.school_save(school=obj, by=request.user, request=request)


@admin.register(SchoolClass)
class SchoolClassAdmin(BureauScopedAdmin):
    bureau_path = "school__bureau"
    list_display = ("school", "grade", "number")
    list_filter = ("grade", "school__school_type")
    search_fields = ("school__name",)
    list_select_related = ("school",)


@admin.register(SchoolTerm)
class SchoolTermAdmin(BureauScopedAdmin):
    """The bureau's terms (校历): school days fall within them (schools.calendar)."""

    list_display = ("name", "starts_on", "ends_on", "bureau")
    date_hierarchy = "starts_on"


@admin.register(CalendarDay)
class CalendarDayAdmin(BureauScopedAdmin):
    """Days the bureau decides itself: closures and make-up school days."""

    list_display = ("day", "is_school_day", "reason", "bureau")
    list_filter = ("is_school_day",)
    date_hierarchy = "day"


class MembershipAdminForm(forms.ModelForm):
    """A role's form: its holder shown with their username, and the classes a
    head teacher leads picked from the chosen school only (issue 8 item 9)."""

    class Meta:
        model = Membership
        fields = ("user", "role", "school", "bureau", "classes", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].label_from_instance = person_label
        classes = self.fields.get("classes")
        if classes is None:
            return
        school_id = self._chosen_school_id()
        offered = classes.queryset.select_related("school")
        if school_id is not None:
            # The school is known (the role being changed, ?school= on the
            # add page, a form sent back): only its classes are offered.
            classes.widget.choices = [(c.pk, str(c)) for c in offered.filter(school_id=school_id)]
        else:
            # No school yet: the district's classes, each named with its school.
            classes.widget.choices = [(c.pk, f"{c.school} · {c}") for c in offered]

    def _chosen_school_id(self) -> int | None:
        if self.is_bound:
            raw = self.data.get(self.add_prefix("school"))
        else:
            raw = self.initial.get("school") or self.instance.school_id
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    # The person saving the form (MembershipAdmin.get_form sets it on the class).
    acting_user = None

    def clean(self):
        cleaned = super().clean()
        self._check_placement(cleaned)
        classes = cleaned.get("classes") or []
        school = cleaned.get("school")
        foreign = [c for c in classes if school is None or c.school_id != school.pk]
        if foreign and school is None:
            self.add_error("classes", _("A class belongs to a school: choose the school first."))
        elif foreign:
            self.add_error("classes", _(
                "Only classes of %(school)s can be chosen; %(classes)s belong to another "
                "school.") % {"school": school, "classes": "、".join(
                    f"{c.school} {c}" for c in foreign)})
        return cleaned

    def _check_placement(self, cleaned) -> None:
        """A role only at the admin's own bureau and its schools, and only for
        someone of no other bureau (schools.access.may_place_membership)."""
        by, subject, role = self.acting_user, cleaned.get("user"), cleaned.get("role")
        school, bureau = cleaned.get("school"), cleaned.get("bureau")
        if by is None or subject is None or not role or (school is None and bureau is None):
            return
        if not access.may_grant_role(by, role):
            self.add_error("role", _("Only the deployment gives this role."))
        elif not access.may_manage_account(by, subject):
            self.add_error("user", _(
                "This person belongs to another bureau (or is a system administrator): "
                "only that bureau's administrator gives them a role."))
        elif not access.may_place_membership(by, subject, role=role, school=school,
                                             bureau_id=bureau.pk if bureau else None):
            self.add_error(None, _("A role can only be given at your own bureau or one of "
                                   "its schools."))


@admin.register(Membership)
class MembershipAdmin(BureauScopedAdmin):
    form = MembershipAdminForm
    list_display = ("user", "role", "school", "bureau", "is_active")
    list_filter = ("role", "is_active", "school__school_type")
    search_fields = ("user__username", "user__full_name", "school__name")
    list_select_related = ("user", "school", "bureau")
    autocomplete_fields = ("user",)
    filter_horizontal = ("classes",)

    def get_queryset(self, request):
        # A membership belongs to a district through its school or its bureau.
        qs = admin.ModelAdmin.get_queryset(self, request)
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is None:
            return qs
        return qs.filter(Q(school__bureau_id__in=bureau_ids) | Q(bureau_id__in=bureau_ids))

    # The auditor role is granted by deployment only (create_auditor), never by a
    # bureau admin, and an auditor's membership is not theirs to change (G6).
    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(value, label) for value, label in db_field.choices
                                 if access.may_grant_role(request.user, value)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not access.may_grant_role(request.user, obj.role):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not access.may_grant_role(request.user, obj.role):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user  # a class made for this request
        return form

    # Every grant and revoke of a role is announced (and so audited).
    def save_model(self, request, obj, form, change):
        if not access.may_grant_role(request.user, obj.role):
            access.deny(request, "schools.grant_role", f"role:{obj.role}", status=403)
        if not access.may_place_membership(request.user, obj.user, role=obj.role,
                                           school=obj.school, bureau_id=obj.bureau_id):
            access.deny(request, "schools.manage_accounts", f"user:{obj.user_id}", status=403)
        before = services.membership_state(obj) if change else None
        super().save_model(request, obj, form, change)
        services.membership_saved(membership=obj, before=before, by=request.user,
                                  request=request)

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        services.membership_deleted(membership=obj, membership_id=pk, by=request.user,
                                    request=request)

    def delete_queryset(self, request, queryset):
        doomed = list(queryset)  # separate instances: they keep their pk
        for obj in doomed:
            if not access.may_grant_role(request.user, obj.role):
                access.deny(request, "schools.grant_role", f"role:{obj.role}", status=403)
        super().delete_queryset(request, queryset)
        for obj in doomed:
            services.membership_deleted(membership=obj, membership_id=obj.pk,
                                        by=request.user, request=request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        bureau_ids = access.admin_bureau_ids(request.user)
        if bureau_ids is not None and db_field.name == "classes":
            kwargs["queryset"] = SchoolClass.objects.filter(
                school__bureau_id__in=bureau_ids
            ).select_related("school")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TaskForceMemberAdminForm(forms.ModelForm):
    # Declared, the model's field excluded (TaskForceMemberAdmin.exclude): put
    # on the row by the form, it would meet the one-leader constraint ("约束
    # task_force_one_leader 是无效的") before the service could hand the lead
    # over. TaskForceMemberAdmin.save_model applies it.
    is_leader = forms.BooleanField(label=_("Leads the task force"), required=False)

    class Meta:
        model = TaskForceMember
        fields = ("school", "user", "duty")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_leader"].initial = self.instance.is_leader
        if "user" in self.fields:
            self.fields["user"].label_from_instance = person_label

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("school") and cleaned.get("user"):
            services.task_force_check_eligible(school=cleaned["school"], user=cleaned["user"])
        return cleaned


@admin.register(TaskForceMember)
class TaskForceMemberAdmin(BureauScopedAdmin):
    form = TaskForceMemberAdminForm
    exclude = ("is_leader",)  # the form's own is_leader stands in (see the form)
    bureau_path = "school__bureau"
    list_display = ("school", "user", "duty", "is_leader")
    list_filter = ("is_leader", "school__school_type")
    search_fields = ("school__name", "user__full_name", "user__username")
    list_select_related = ("school", "user")
    autocomplete_fields = ("user",)

    def save_model(self, request, obj, form, change):
        # New members go through the same rule as the portal page (must hold a
        # role at the school); a change of leader goes through
        # task_force_set_leader, and the admin is told whom it stepped down
        # (issue 8 item 9: a second 组长 was refused with the constraint's
        # name here, and stepped the first down without a word elsewhere).
        leads = form.cleaned_data["is_leader"]
        if change:
            super().save_model(request, obj, form, change)  # is_leader as stored
            if "is_leader" in form.changed_data:
                self._set_leader(request, obj, leads=leads)
                obj.is_leader = leads
            return None
        created = services.task_force_add_member(
            school=obj.school, user=obj.user, duty=obj.duty, is_leader=False,
            by=request.user, request=request,
        )
        obj.pk = created.pk
        if leads:
            self._set_leader(request, created, leads=True)
            obj.is_leader = True
        return None

    @staticmethod
    def _set_leader(request, member: TaskForceMember, *, leads: bool) -> None:
        """Make `member` the leader (leads=True) or leave the task force
        without one, through the service, and say what changed."""
        previous = selectors.task_force_leader(member.school)
        services.task_force_set_leader(school=member.school,
                                       member_id=member.pk if leads else None,
                                       by=request.user, request=request)
        words = {"school": member.school, "new": person_label(member.user),
                 "old": person_label(previous.user) if previous else ""}
        if leads and previous is not None and previous.pk != member.pk:
            messages.warning(request, _(
                "%(new)s now leads the task force of %(school)s; %(old)s, who led it "
                "before, stays on it as a member.") % words)
        elif leads:
            messages.info(request, _("%(new)s now leads the task force of %(school)s.") % words)
        elif previous is not None:
            messages.warning(request, _(
                "The task force of %(school)s has no leader now; %(old)s stays on it as a "
                "member.") % words)

    def delete_model(self, request, obj):
        services.task_force_remove_member(school=obj.school, member_id=obj.pk,
                                          by=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("school"):
            self.delete_model(request, member)
