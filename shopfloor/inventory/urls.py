from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("receive/", views.ReceiveView.as_view(), name="receive"),
    path("move/", views.TransferView.as_view(), name="transfer"),
    path("issue/", views.IssueView.as_view(), name="issue"),
    path("count/", views.CountStartView.as_view(), name="count"),
    path("counts/<int:pk>/", views.CountDetailView.as_view(), name="count-detail"),
    path("balances/", views.BalanceListView.as_view(), name="balances"),
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("locations/", views.LocationTreeView.as_view(), name="location-tree"),
    path("locations/new/", views.LocationCreateView.as_view(), name="location-create"),
]
