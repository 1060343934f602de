from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User


def lockout_rule() -> dict[str, int]:
    """{"limit": failures before a lockout, "minutes": its length}: the
    deployment's own (AXES_FAILURE_LIMIT, AXES_COOLOFF_MINUTES), for every page
    that states the rule."""
    return {"limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The username or password is wrong. Check them and try again; after "
            "%(limit)s failures the account is locked for %(minutes)s minutes."
        ),
        "inactive": _("This account has been deactivated. Ask your bureau administrator."),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        """The numbers are the deployment's own (AXES_FAILURE_LIMIT,
        AXES_COOLOFF_MINUTES), not a copy of the defaults."""
        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login", params=lockout_rule())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none"}
        )


class TaskForceMemberForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Member"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose a member of staff."),
            "invalid_choice": _("Choose a member of this school's staff."),
        },
    )
    duty = forms.CharField(
        label=_("Responsibility"),
        max_length=100,
        required=False,
        help_text=_("What this member is responsible for, e.g. 心理健康 or 校园安保."),
    )
    is_leader = forms.BooleanField(label=_("Leads the task force"), required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        # The choice list is the school's own staff: a tampered user id from
        # another school is an invalid choice, not a cross-school write (A3).
        self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = lambda u: f"{u} ({u.username})"


class RosterUploadForm(forms.Form):
    """The roster file to import and whether it is the school's whole roll."""

    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file, at most 10 MB: the template, "
                    "or the roster exported from the 学籍系统."))
    full_roster = forms.BooleanField(
        label=_("This is the full roster of the school"), required=False,
        help_text=_("Pupils enrolled now who are not in the file will be offered as "
                    "transferred out or graduated; nobody is deleted."))


class PupilCountFilterForm(forms.Form):
    """The filters of the priority-group counts page (schools.pupil_counts)."""

    school_type = forms.ChoiceField(
        label=_("School type"), required=False,
        error_messages={"invalid_choice": _("There is no such school type; choose one "
                                            "from the list.")})

    def __init__(self, *args, **kwargs):
        from .models import SchoolType

        super().__init__(*args, **kwargs)
        self.fields["school_type"].choices = [("", _("All types")), *SchoolType.choices]
        self.fields["school_type"].widget.attrs["class"] = "form-select"
