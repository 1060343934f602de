from django.urls import path

from . import pupil_list_views, pupil_views, roster_views, views

app_name = "schools"
urlpatterns = [
    path("", views.school_list, name="list"),
    path("<int:pk>/", views.school_detail, name="detail"),
    # 重点群体统计 (issue 9 item 8): counts only, for the bureau.
    path("pupil-counts/", views.pupil_counts, name="pupil_counts"),
    path("pupil-counts/excel/", views.pupil_counts_xlsx, name="pupil_counts_xlsx"),
    path("<int:pk>/task-force/add/", views.task_force_add, name="task_force_add"),
    path(
        "<int:pk>/task-force/<int:member_id>/remove/",
        views.task_force_remove,
        name="task_force_remove",
    ),
    # Importing the pupil roster (issue 9 item 3).
    path("<int:pk>/roster/template/", roster_views.roster_template, name="roster_template"),
    path("<int:pk>/roster/import/", roster_views.roster_import, name="roster_import"),
    path("<int:pk>/roster/import/<uuid:code>/", roster_views.roster_preview,
         name="roster_preview"),
    path("<int:pk>/roster/import/<uuid:code>/confirm/", roster_views.roster_confirm,
         name="roster_confirm"),
    path("<int:pk>/roster/import/<uuid:code>/done/", roster_views.roster_result,
         name="roster_result"),
    # A pupil's page and the changes made from it (issue 9 items 2, 5, 8).
    path("pupils/<uuid:code>/", pupil_views.pupil_detail_view, name="pupil_detail"),
    path("pupils/<uuid:code>/circumstances/add/", pupil_views.circumstance_add,
         name="circumstance_add"),
    path("pupils/circumstances/<uuid:code>/end/", pupil_views.circumstance_end,
         name="circumstance_end"),
    path("pupils/<uuid:code>/guardians/add/", pupil_views.guardian_add, name="guardian_add"),
    path("pupils/<uuid:code>/guardians/<int:pk>/", pupil_views.guardian_edit,
         name="guardian_edit"),
    path("pupils/<uuid:code>/status/", pupil_views.pupil_status, name="pupil_status"),
    path("<int:pk>/pupils/", pupil_list_views.roster, name="roster"),
    path("<int:pk>/pupils/export/", pupil_list_views.roster_export, name="roster_export"),
    path("my-classes/", pupil_list_views.my_classes, name="my_classes"),
]
