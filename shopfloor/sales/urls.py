from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="order-list"),
    path("new/", views.OrderCreateView.as_view(), name="order-create"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("<int:pk>/edit/", views.OrderUpdateView.as_view(), name="order-edit"),
    path("<int:pk>/lines/add/", views.LineAddView.as_view(), name="line-add"),
    path("<int:pk>/ship/", views.OrderShipView.as_view(), name="order-ship"),
    path("lines/<int:pk>/ship/", views.LineShipView.as_view(), name="line-ship"),
    path("lines/<int:pk>/delete/", views.LineDeleteView.as_view(), name="line-delete"),
]
