from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from schools import access

from .emails import is_portal_path
from .models import Notice
from .services import notice_mark_read


@login_required
def notice_list(request):
    """消息: the same notices the e-mails carried, newest first, read or unread."""
    notices = Notice.objects.for_recipient(request.user).exclude(status=Notice.Status.CANCELLED)
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/notice_list.html", {"page": page})


@require_POST
@login_required
def notice_open(request, pk: int):
    """Mark the notice read and go where it points. Only one's own notices: any
    other id is a 404, whoever owns it."""
    notice = Notice.objects.for_recipient(request.user).filter(pk=pk).first()
    if notice is None:
        access.deny(request, "open_notice", f"notice:{pk}", status=404)
    notice_mark_read(notice=notice, user=request.user)
    path = notice.context.get("path", "")
    return redirect(path if is_portal_path(path) else "notifications:list")
