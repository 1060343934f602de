"""URLs of attendance. Empty until its issue lands; the room is here so the house is visible."""

app_name = "attendance"
urlpatterns: list = []
