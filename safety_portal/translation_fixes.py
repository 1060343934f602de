"""Messages of Django and its add-ons whose Chinese is wrong or missing, given
here so the portal's catalogue (LOCALE_PATHS, read before Django's own)
carries the right words. Listed with gettext_noop so makemessages keeps them;
nothing imports this module at run time."""

from django.utils.translation import gettext_noop

FIXES = [
    # Django's zh_Hans says 不允许是用空字符串 ("empty strings are not allowed"),
    # for a field that contains a NUL character (issue 8 item 9).
    gettext_noop("Null characters are not allowed."),
]
