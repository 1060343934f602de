"""A child-level page of the test-only hazards domain: it asks for a recent
second factor (step-up) with the access package's decorator, as pupil pages
will (issue 9 item 6)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from schools.access import require_recent_second_factor


@login_required
@require_recent_second_factor
def sensitive_page(request):
    return HttpResponse("sensitive page")


@login_required
@require_recent_second_factor(max_age=600)
def very_sensitive_page(request):
    return HttpResponse("very sensitive page")
