"""URLs of incidents (issue 10). Public codes (UUIDs) only, never ids."""

from django.urls import path

from . import bullying_views, dispute_views, views

app_name = "incidents"
urlpatterns = [
    path("concerns/new/", views.concern_new, name="concern_new"),
    path("bureau/", views.bureau_counts, name="bureau_counts"),
    path("bureau/referrals/", views.bureau_referrals, name="bureau_referrals"),
    path("bureau/excel/", views.bureau_counts_xlsx, name="bureau_counts_xlsx"),
    path("mine/", views.my_concerns, name="my_concerns"),
    path("mine/<uuid:code>/", views.my_concern_detail, name="my_concern_detail"),
    path("schools/<int:pk>/", views.school_concerns, name="school_concerns"),
    path("schools/<int:pk>/leads/", views.school_leads, name="school_leads"),
    path("concerns/<uuid:code>/", views.concern_detail, name="concern_detail"),
    path("referrals/<uuid:code>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:code>/report/", views.referral_report, name="referral_report"),
    path("referrals/<uuid:code>/print/", views.referral_print, name="referral_print"),
    path("referrals/<uuid:code>/note/", views.referral_note, name="referral_note"),
    path("referrals/<uuid:code>/attachments/", views.referral_attach, name="referral_attach"),
    path("attachments/<uuid:code>/", views.attachment_view, name="attachment_view"),
    path("attachments/<uuid:code>/download/", views.attachment_download,
         name="attachment_download"),
    path("referrals/<uuid:code>/<slug:name>/", views.referral_transition,
         name="referral_transition"),
    # The monthly dispute screening (矛盾纠纷排查).
    path("disputes/bureau/", dispute_views.bureau_disputes, name="bureau_disputes"),
    path("disputes/bureau/excel/", dispute_views.bureau_disputes_xlsx,
         name="bureau_disputes_xlsx"),
    path("disputes/bureau/due-day/", dispute_views.bureau_dispute_day,
         name="bureau_dispute_day"),
    path("disputes/schools/<int:pk>/", dispute_views.school_disputes, name="school_disputes"),
    path("disputes/schools/<int:pk>/<int:year>/<int:month>/", dispute_views.dispute_return,
         name="dispute_return"),
    path("disputes/schools/<int:pk>/<int:year>/<int:month>/add/", dispute_views.dispute_add,
         name="dispute_add"),
    path("disputes/schools/<int:pk>/<int:year>/<int:month>/file/",
         dispute_views.dispute_return_submit, name="dispute_return_submit"),
    path("disputes/<uuid:code>/settle/", dispute_views.dispute_settle, name="dispute_settle"),
    path("disputes/<uuid:code>/remove/", dispute_views.dispute_remove, name="dispute_remove"),
    # Bullying cases (学生欺凌).
    path("bullying/classes/", bullying_views.bullying_classes, name="bullying_classes"),
    path("bullying/support/", bullying_views.bullying_support_list,
         name="bullying_support_list"),
    path("bullying/schools/<int:pk>/", bullying_views.school_bullying, name="school_bullying"),
    path("bullying/schools/<int:pk>/new/", bullying_views.bullying_new, name="bullying_new"),
    path("bullying/<uuid:code>/", bullying_views.bullying_detail, name="bullying_detail"),
    path("bullying/<uuid:code>/support/", bullying_views.bullying_support,
         name="bullying_support"),
    path("bullying/<uuid:code>/status/", bullying_views.bullying_status, name="bullying_status"),
    path("bullying/<uuid:code>/<slug:action>/", bullying_views.bullying_action,
         name="bullying_action"),
]
