from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schools import access
from schools.models import School

from .access_rules import NotificationsPerm
from .emails import is_portal_path
from .forms import GroupRobotForm
from .models import GroupMessage, GroupRobot, Notice
from .robots import mask, masked_url
from .services import group_robot_save, group_robot_send_test, notice_mark_read


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


@login_required
def group_robots(request, pk: int):
    """群机器人: the school's WeCom/DingTalk robots, for its principal only. The
    webhook URL and secret are shown masked; POST saves one platform's robot."""
    school = access.get_for_user(request, School.objects, NotificationsPerm.MANAGE_GROUP_ROBOT,
                                 pk=pk)
    form = GroupRobotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                group_robot_save(school=school, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The group robot was saved."))
            return redirect("notifications:group_robots", pk=school.pk)
    robots = list(GroupRobot.objects.filter(school=school))
    rows = [{"robot": r, "url": masked_url(r.webhook_url), "secret": mask(r.secret)}
            for r in robots]
    recent = (GroupMessage.objects.filter(robot__school=school).select_related("robot")
              .order_by("-created_at", "-id")[:10])
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/group_robots.html",
                  {"school": school, "form": form, "rows": rows, "recent": recent},
                  status=status)


@require_POST
@login_required
def group_robot_test(request, pk: int, robot_id: int):
    """Queue a test message to one of the school's robots; the page shows how it went."""
    robot = access.get_for_user(
        request, GroupRobot.objects.filter(school_id=pk).select_related("school"),
        NotificationsPerm.MANAGE_GROUP_ROBOT, pk=robot_id)
    school = robot.school
    group_robot_send_test(robot=robot, by=request.user)
    messages.success(request, _("A test message is on its way to the group. Its status "
                                "shows below within a minute."))
    return redirect("notifications:group_robots", pk=school.pk)
