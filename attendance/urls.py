"""URLs of attendance (控辍保学): the class register (issue 11 item 1)."""

from django.urls import path

from . import views

app_name = "attendance"
urlpatterns = [
    path("registers/", views.registers, name="registers"),
    path("registers/classes/<int:pk>/", views.register, name="register"),
    path("registers/<int:register_id>/pupils/<uuid:pupil_code>/contact/", views.contact,
         name="contact"),
]
