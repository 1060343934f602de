"""URLs of incidents. Empty until its issue lands; the room is here so the house is visible."""

app_name = "incidents"
urlpatterns: list = []
