from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/open/", views.notice_open, name="open"),
    # A school's group robots (pk is the school's, as under schools/).
    path("schools/<int:pk>/robots/", views.group_robots, name="group_robots"),
    path("schools/<int:pk>/robots/<int:robot_id>/test/", views.group_robot_test,
         name="group_robot_test"),
]
