"""MRP and forecast pages (included by `planning/urls.py` under app_name "planning")."""

from django.urls import path

from . import views_mrp as views

urlpatterns = [
    path("forecasts/", views.ForecastListView.as_view(), name="forecast-list"),
    path("forecasts/new/", views.ForecastCreateView.as_view(), name="forecast-create"),
    path("forecasts/<int:pk>/edit/", views.ForecastUpdateView.as_view(), name="forecast-edit"),
    path("forecasts/<int:pk>/delete/", views.ForecastDeleteView.as_view(), name="forecast-delete"),
    path("mrp/", views.MrpRunListView.as_view(), name="mrp-run-list"),
    path("mrp/run/", views.MrpRunCreateView.as_view(), name="mrp-run-create"),
    path("mrp/<int:pk>/", views.MrpRunDetailView.as_view(), name="mrp-run-detail"),
    path("mrp/<int:pk>/status/", views.MrpRunStatusView.as_view(), name="mrp-run-status"),
    path("mrp/<int:pk>/items/", views.MrpItemListView.as_view(), name="mrp-items"),
    path("mrp/<int:pk>/items/<int:item>/", views.MrpItemDetailView.as_view(), name="mrp-item"),
    path("mrp/<int:pk>/planned-orders/", views.PlannedOrderListView.as_view(), name="mrp-planned-orders"),
    path("mrp/<int:pk>/firm/", views.FirmView.as_view(), name="mrp-firm"),
    path("mrp/<int:pk>/exceptions/", views.MrpExceptionListView.as_view(), name="mrp-exceptions"),
]
