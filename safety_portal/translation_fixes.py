"""Messages of Django and its add-ons whose Chinese is wrong or missing, given
here so the portal's catalogue (LOCALE_PATHS, read before Django's own)
carries the right words. Listed with gettext_noop so makemessages keeps them;
nothing imports this module at run time."""

from django.utils.translation import gettext_noop

FIXES = [
    # Django's zh_Hans says 不允许是用空字符串 ("empty strings are not allowed"),
    # for a field that contains a NUL character (issue 8 item 9).
    gettext_noop("Null characters are not allowed."),
    # Django's zh_Hans keeps the ASCII colon after a form label (label_suffix);
    # Chinese text takes the full-width one (学校名称或代码：), as a walk-through noticed.
    gettext_noop(":"),
]

# The admin's remaining English (issue 8 item 9).
#
# django-axes ships no Chinese: its model, field, filter and fieldset names.
# The app itself is named by safety_portal.apps.PortalAxesConfig.
AXES = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
]

# Django 5.2's own admin strings that its zh_Hans catalogue lacks, and one it
# words badly (a filter heading read "以 状态").
DJANGO_ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop(" By %(filter_title)s "),
]

# The change history (LogEntry) stores each changed field by its form label as
# Django writes it, capitalised ("Due date"), and translates that text when the
# history is shown: the capitalised labels of every field an admin form can
# change need their own entry (kept complete by
# tests/test_admin_language.py::test_every_admin_form_label_has_chinese_for_the_history).
FIELD_LABELS = [
    gettext_noop("Active"),
    gettext_noop("Address"),
    gettext_noop("Bureau"),
    gettext_noop("Class number"),
    gettext_noop("Code"),
    gettext_noop("School year"),
    gettext_noop("Date joined"),
    gettext_noop("Document issuer code"),
    gettext_noop("Due date"),
    gettext_noop("Due date after the move"),
    gettext_noop("Due date before the move"),
    gettext_noop("End date"),
    gettext_noop("First day"),
    gettext_noop("First name"),
    gettext_noop("First reporting month"),
    gettext_noop("Full name"),
    gettext_noop("Grade"),
    gettext_noop("Last day"),
    gettext_noop("Groups"),
    gettext_noop("Last login"),
    gettext_noop("Last name"),
    gettext_noop("Mobile phone"),
    gettext_noop("School day"),
    gettext_noop("Staff status"),
    gettext_noop("Superuser status"),
    gettext_noop("User permissions"),
]
