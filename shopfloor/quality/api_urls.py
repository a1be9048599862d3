"""API routes of the quality app that are not model resources on the router."""

from django.urls import path

from . import api, api_yields

urlpatterns = [
    path("spc/", api.SpcView.as_view(), name="quality-spc"),
    path("yield/", api.api_ncr.YieldView.as_view(), name="quality-yield"),
    path("yield/inspections/", api_yields.InspectionYieldView.as_view(), name="quality-yield-inspections"),
    path("supplier-quality/", api_yields.SupplierQualityView.as_view(), name="quality-supplier-quality"),
]
