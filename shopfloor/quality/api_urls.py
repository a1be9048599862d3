"""API routes of the quality app that are not model resources on the router."""

from django.urls import path

from . import api

urlpatterns = [
    path("spc/", api.SpcView.as_view(), name="quality-spc"),
    path("yield/", api.api_ncr.YieldView.as_view(), name="quality-yield"),
]
