"""URLs of reporting: empty until its issue lands; the room is here so the house shows."""

app_name = "reporting"
urlpatterns: list = []
