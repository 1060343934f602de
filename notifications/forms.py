from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GroupRobot
from .robots import check_webhook_url

# Each platform's own webhook host: a URL of one saved under the other is a
# mistake the principal would not notice until no message arrives.
PLATFORM_HOSTS = {
    GroupRobot.Platform.WECOM: "qyapi.weixin.qq.com",
    GroupRobot.Platform.DINGTALK: "oapi.dingtalk.com",
}
DINGTALK_SECRET_PREFIX = "SEC"  # noqa: S105 - a prefix, not a secret


class GroupRobotForm(forms.Form):
    """Set up the school's robot of one platform. A saved URL and secret are
    never shown back (the page shows them masked): left empty, the stored ones
    are kept. While the form is being corrected, the URL typed is kept in the
    field; the secret, a password field, has to be pasted again."""

    platform = forms.ChoiceField(label=_("Platform"), choices=GroupRobot.Platform.choices)
    webhook_url = forms.CharField(
        label=_("Webhook URL"), required=False, max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "url",
                                      "spellcheck": "false"}),
        help_text=_("Copied from the group's robot settings. To change a robot already "
                    "saved, leave it empty to keep its URL."))
    secret = forms.CharField(
        label=_("Signing secret (DingTalk)"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The SEC... secret of a DingTalk robot with signing (加签). To change a "
                    "robot already saved, leave it empty to keep its secret."))
    enabled = forms.BooleanField(label=_("Send the school's notices to this group"),
                                 required=False, initial=True)

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"].strip()
        if url:
            check_webhook_url(url)
        return url

    def clean(self):
        cleaned = super().clean()
        platform, url = cleaned.get("platform"), cleaned.get("webhook_url")
        secret = (cleaned.get("secret") or "").strip()
        if platform and url:
            host = (urlsplit(url).hostname or "").lower()
            for other, other_host in PLATFORM_HOSTS.items():
                if host == other_host and other != platform:
                    self.add_error("webhook_url", _(
                        "This is the address of a %(platform)s robot: choose that platform.")
                        % {"platform": GroupRobot.Platform(other).label})
        if secret and platform == GroupRobot.Platform.WECOM:
            self.add_error("secret", _("A WeCom group robot has no signing secret: leave "
                                       "this empty."))
        elif secret and not secret.startswith(DINGTALK_SECRET_PREFIX):
            self.add_error("secret", _("A DingTalk signing secret starts with SEC. Copy it "
                                       "from the robot's security settings (加签)."))
        cleaned["secret"] = secret
        return cleaned
