from django.urls import path

from . import views

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
]
