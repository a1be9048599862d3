from django.urls import path

from . import views

app_name = "purchasing"

urlpatterns = [
    path("orders/", views.PurchaseOrderListView.as_view(), name="order-list"),
    path("orders/new/", views.PurchaseOrderCreateView.as_view(), name="order-create"),
    path("orders/<int:pk>/", views.PurchaseOrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/edit/", views.PurchaseOrderUpdateView.as_view(), name="order-edit"),
    path("orders/<int:pk>/lines/", views.LineAddView.as_view(), name="line-add"),
    path("orders/<int:pk>/receive/", views.ReceiveView.as_view(), name="order-receive"),
    path("orders/<int:pk>/pdf/", views.PurchaseOrderPdfView.as_view(), name="order-pdf"),
    path("orders/<int:pk>/<slug:name>/", views.PurchaseOrderActionView.as_view(), name="order-action"),
    path("lines/<int:pk>/remove/", views.LineRemoveView.as_view(), name="line-remove"),
    path("receipts/", views.ReceiptListView.as_view(), name="receipt-list"),
    path("receipts/<int:pk>/", views.ReceiptDetailView.as_view(), name="receipt-detail"),
    path("rules/", views.SettingsView.as_view(), name="settings"),
]
