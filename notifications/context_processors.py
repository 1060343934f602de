from .models import Notice


def unread(request):
    """The unread count for the menu badge: one indexed query per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": Notice.objects.for_recipient(user).unread()
            .exclude(status=Notice.Status.CANCELLED).count()}
