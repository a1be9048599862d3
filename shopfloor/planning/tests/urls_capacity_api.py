"""The project URLconf plus the capacity API path, for tests until the project includes it."""

from django.urls import include, path

from shopfloor.urls import urlpatterns as project

urlpatterns = [path("api/v1/planning/", include("shopfloor.planning.api_capacity")), *project]
