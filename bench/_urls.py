"""The project's URLs plus `/bench/bare/`, a bare Django JSON view (the baseline)."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), path("", include("shopfloor.urls"))]
