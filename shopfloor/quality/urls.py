from django.urls import path

from . import spc_views, views_inspection, views_ncr

app_name = "quality"

urlpatterns = [
    path("spc/", spc_views.SpcView.as_view(), name="spc"),
    path("plans/", views_inspection.PlanListView.as_view(), name="plan-list"),
    path("plans/new/", views_inspection.PlanCreateView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", views_inspection.PlanDetailView.as_view(), name="plan-detail"),
    path(
        "plans/<int:pk>/characteristics/", views_inspection.CharacteristicAddView.as_view(), name="characteristic-add"
    ),
    path("plans/<int:pk>/<slug:name>/", views_inspection.PlanActionView.as_view(), name="plan-action"),
    path("inspections/", views_inspection.InspectionQueueView.as_view(), name="inspection-list"),
    path("inspections/<int:pk>/", views_inspection.InspectionDetailView.as_view(), name="inspection-detail"),
    path("inspections/<int:pk>/measurements/", views_inspection.MeasurementsView.as_view(), name="inspection-measure"),
    path("inspections/<int:pk>/complete/", views_inspection.CompleteView.as_view(), name="inspection-complete"),
    path("dashboard/", views_ncr.DashboardView.as_view(), name="dashboard"),
    path("ncrs/", views_ncr.NcrListView.as_view(), name="ncr-list"),
    path("ncrs/new/", views_ncr.NcrCreateView.as_view(), name="ncr-create"),
    path("ncrs/<int:pk>/", views_ncr.NcrDetailView.as_view(), name="ncr-detail"),
    path("ncrs/<int:pk>/<slug:name>/", views_ncr.NcrActionView.as_view(), name="ncr-action"),
    path("capas/", views_ncr.CapaListView.as_view(), name="capa-list"),
    path("capas/new/", views_ncr.CapaCreateView.as_view(), name="capa-create"),
    path("capas/<int:pk>/", views_ncr.CapaDetailView.as_view(), name="capa-detail"),
    path("capas/<int:pk>/<slug:name>/", views_ncr.CapaActionView.as_view(), name="capa-action"),
]
