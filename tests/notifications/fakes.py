"""E-mail backends that fail the way SMTP servers and networks do."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class BusyServerBackend(BaseEmailBackend):
    """421: the server is busy; its text quotes the recipient, as real servers do."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPResponseException(
            421, f"4.7.0 Try again later, {email_messages[0].to[0]}".encode())


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


class TimeoutBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise TimeoutError("timed out")
