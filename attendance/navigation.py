"""attendance's entry in the top bar: 今日考勤, for whoever keeps a class's
register (a head teacher, a teacher the principal allowed, the principal and
the safety officer)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem

from .keepers import may_list


def _registers(user) -> str | None:
    return reverse("attendance:registers") if may_list(user) else None


NAV = [NavItem(45, _("Today's register"), _registers, testid="nav-registers")]
