from django.urls import path

from . import pupil_views, views

app_name = "schools"
urlpatterns = [
    path("", views.school_list, name="list"),
    path("<int:pk>/", views.school_detail, name="detail"),
    path("<int:pk>/task-force/add/", views.task_force_add, name="task_force_add"),
    path(
        "<int:pk>/task-force/<int:member_id>/remove/",
        views.task_force_remove,
        name="task_force_remove",
    ),
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
]
