from django.urls import path

from . import views

app_name = "field"

urlpatterns = [
    path("", views.AssetListView.as_view(), name="asset-list"),
    path("new/", views.AssetCreateView.as_view(), name="asset-create"),
    path("<int:pk>/", views.AssetLifeView.as_view(), name="asset-detail"),
    path("<int:pk>/edit/", views.AssetUpdateView.as_view(), name="asset-edit"),
    path("<int:pk>/receive/", views.ReceiveView.as_view(), name="asset-receive"),
    path("<int:pk>/assign/", views.AssignView.as_view(), name="asset-assign"),
    path("<int:pk>/unassign/", views.UnassignView.as_view(), name="asset-unassign"),
    path("<int:pk>/ship/", views.ShipView.as_view(), name="asset-ship"),
    path("<int:pk>/runs/new/", views.RunView.as_view(), name="asset-run"),
    path("<int:pk>/return/", views.ReturnView.as_view(), name="asset-return"),
    path("<int:pk>/repair/", views.RepairView.as_view(), name="asset-repair"),
    path("<int:pk>/back-in-stock/", views.BackInStockView.as_view(), name="asset-back"),
    path("<int:pk>/scrap/", views.ScrapView.as_view(), name="asset-scrap"),
]
