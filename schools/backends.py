"""Authentication backend whose permission answers come from schools.access.

Django (and every ModelAdmin, ours or a library's) asks `user.has_perm(
"app.action_model")`. Routing that question to the access layer's admin table
keeps one source of truth: no Django groups or per-user permissions to drift
out of step with roles.
"""

from django.contrib.auth.backends import ModelBackend

from . import access

_ACTIONS = ("view", "add", "change", "delete")


class PortalBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        app_label, _, codename = perm.partition(".")
        action, _, model = codename.partition("_")
        if action not in _ACTIONS or not model:
            return bool(user_obj.is_active and user_obj.is_superuser)
        return access.admin_allows(user_obj, f"{app_label}.{model}", action)

    def has_module_perms(self, user_obj, app_label):
        return any(
            access.admin_allows(user_obj, label, "view")
            for label in access.admin_model_labels()
            if label.startswith(f"{app_label}.")
        ) or bool(user_obj.is_active and user_obj.is_superuser)

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()
