from django.urls import path

from . import autosave_views, bulletin_views, photo_views, views, withdraw_views

app_name = "reporting"
urlpatterns = [
    path("schools/<int:pk>/", views.school_reports, name="school_reports"),
    path("schools/<int:pk>/deadlines/<int:deadline_id>/", views.report_edit,
         name="report_edit"),
    path("schools/<int:pk>/deadlines/<int:deadline_id>/autosave/",
         autosave_views.report_autosave, name="report_autosave"),
    path("schools/<int:pk>/deadlines/<int:deadline_id>/photos/", views.photo_add,
         name="photo_add"),
    path("photos/<uuid:code>/", views.photo_file, name="photo"),
    path("photos/<uuid:code>/thumbnail/", views.photo_file, {"size": "thumbnail"},
         name="photo_thumbnail"),
    path("photos/<uuid:code>/download/", photo_views.photo_download, name="photo_download"),
    path("photos/<uuid:code>/remove/", views.photo_remove, name="photo_remove"),
    path("reports/<uuid:code>/", views.report_detail, name="report_detail"),
    path("reports/<uuid:code>/approve/", views.report_approve, name="report_approve"),
    path("reports/<uuid:code>/return/", views.report_return, name="report_return"),
    path("reports/<uuid:code>/withdraw/", withdraw_views.report_withdraw,
         name="report_withdraw"),
    path("review/", views.review_queue, name="review_queue"),
    path("dashboard/", views.bureau_dashboard, name="dashboard"),
    path("exports/", views.export_start, name="export_start"),
    path("exports/<uuid:code>/", views.export_status, name="export"),
    path("exports/<uuid:code>/download/", views.export_download, name="export_download"),
    path("deadlines/<int:deadline_id>/bulletin/", views.bulletin, name="bulletin"),
    path("deadlines/<int:deadline_id>/bulletin.xlsx", views.bulletin_xlsx,
         name="bulletin_xlsx"),
    path("deadlines/<int:deadline_id>/bulletin.pdf", bulletin_views.bulletin_pdf,
         name="bulletin_pdf"),
]
