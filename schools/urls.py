from django.urls import path

from . import pupil_list_views, views

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
    path("<int:pk>/pupils/", pupil_list_views.roster, name="roster"),
    path("<int:pk>/pupils/export/", pupil_list_views.roster_export, name="roster_export"),
    path("my-classes/", pupil_list_views.my_classes, name="my_classes"),
]
