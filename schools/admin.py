from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import access, services
from .models import Bureau, Membership, School, SchoolClass, TaskForceMember, User

# Roles are Memberships; Django groups would be a second, drifting source of truth.
admin.site.unregister(Group)


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
class UserAdmin(DjangoUserAdmin):
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
        # A successful reset redirects; announce it (audit records "password.reset").
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.password_set_by(user=self.get_object(request, id), by=request.user,
                                     request=request)
        return response

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
    list_display = ("code", "name", "school_type", "is_open", "in_campaign")
    list_filter = ("school_type", "is_open", "in_campaign")
    search_fields = ("code", "name")
    inlines = [SchoolClassInline]


@admin.register(SchoolClass)
class SchoolClassAdmin(BureauScopedAdmin):
    bureau_path = "school__bureau"
    list_display = ("school", "grade", "number")
    list_filter = ("grade", "school__school_type")
    search_fields = ("school__name",)
    list_select_related = ("school",)


@admin.register(Membership)
class MembershipAdmin(BureauScopedAdmin):
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

    # Every grant and revoke of a role is announced (and so audited).
    def save_model(self, request, obj, form, change):
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
    class Meta:
        model = TaskForceMember
        fields = ("school", "user", "duty", "is_leader")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("school") and cleaned.get("user"):
            services.task_force_check_eligible(school=cleaned["school"], user=cleaned["user"])
        return cleaned


@admin.register(TaskForceMember)
class TaskForceMemberAdmin(BureauScopedAdmin):
    form = TaskForceMemberAdminForm
    bureau_path = "school__bureau"
    list_display = ("school", "user", "duty", "is_leader")
    list_filter = ("is_leader", "school__school_type")
    search_fields = ("school__name", "user__full_name", "user__username")
    list_select_related = ("school", "user")
    autocomplete_fields = ("user",)

    def save_model(self, request, obj, form, change):
        # New members go through the same rule as the portal page (must hold a
        # role at the school; one leader); a change of leader and a removal go
        # through their services too, so each is audited.
        if change:
            if "is_leader" not in form.changed_data:
                return super().save_model(request, obj, form, change)
            becomes_leader = obj.is_leader
            obj.is_leader = not becomes_leader  # as stored; the service changes it
            super().save_model(request, obj, form, change)
            services.task_force_set_leader(
                school=obj.school, member_id=obj.pk if becomes_leader else None,
                by=request.user, request=request)
            obj.is_leader = becomes_leader
            return None
        created = services.task_force_add_member(
            school=obj.school, user=obj.user, duty=obj.duty, is_leader=obj.is_leader,
            by=request.user, request=request,
        )
        obj.pk = created.pk
        return None

    def delete_model(self, request, obj):
        services.task_force_remove_member(school=obj.school, member_id=obj.pk,
                                          by=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("school"):
            self.delete_model(request, member)
