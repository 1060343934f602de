from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GroupRobot
from .robots import check_webhook_url


class GroupRobotForm(forms.Form):
    """Set up the school's robot of one platform. The URL and the secret are
    never rendered back (render_value=False): empty means "keep the stored one"."""

    platform = forms.ChoiceField(label=_("Platform"), choices=GroupRobot.Platform.choices)
    webhook_url = forms.CharField(
        label=_("Webhook URL"), required=False, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Copied from the group's robot settings. Leave empty to keep the "
                    "stored URL."))
    secret = forms.CharField(
        label=_("Signing secret (DingTalk)"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The SEC... secret of a DingTalk robot with signing (加签). Leave "
                    "empty to keep the stored secret."))
    enabled = forms.BooleanField(label=_("Send the school's notices to this group"),
                                 required=False, initial=True)

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"].strip()
        if url:
            check_webhook_url(url)
        return url
