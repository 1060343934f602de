"""The notices page, with the unread count, for everyone signed in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem

NAV = [NavItem(50, _("Notices"), lambda user: reverse("notifications:list"),
               badge="unread_notices", testid="nav-notices")]
