"""The workbench is everyone's first entry in the top bar."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem

NAV = [NavItem(10, _("Workbench"), lambda user: reverse("home"), testid="nav-home")]
