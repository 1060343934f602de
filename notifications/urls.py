"""URLs of notifications: empty until its issue lands; the room is here so the house shows."""

app_name = "notifications"
urlpatterns: list = []
