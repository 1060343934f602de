"""Form helpers every app's views use."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError (keyed by field) on `form`: under the
    field of that name, or at the top for a key the form has no field for."""
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
