"""URLs of psych_screening: empty until its issue lands; the room is here so the house shows."""

app_name = "psych_screening"
urlpatterns: list = []
