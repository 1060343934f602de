"""URLs of psych_screening. Empty until its issue lands; the room is here so the house is visible."""

app_name = "psych_screening"
urlpatterns: list = []
