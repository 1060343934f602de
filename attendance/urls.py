"""URLs of attendance: empty until its issue lands; the room is here so the house shows."""

app_name = "attendance"
urlpatterns: list = []
