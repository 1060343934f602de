"""URLs of incidents: empty until its issue lands; the room is here so the house shows."""

app_name = "incidents"
urlpatterns: list = []
