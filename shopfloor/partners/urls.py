from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="customer-list"),
    path("customers/new/", views.CustomerCreateView.as_view(), name="customer-create"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", views.CustomerUpdateView.as_view(), name="customer-edit"),
    path("customers/<int:pk>/contacts/new/", views.CustomerContactCreateView.as_view(), name="customer-contact-create"),
    path("customers/<int:pk>/rigs/new/", views.RigCreateView.as_view(), name="rig-create"),
    path("customers/<int:pk>/wells/new/", views.WellCreateView.as_view(), name="well-create"),
    path("rigs/", views.RigListView.as_view(), name="rig-list"),
    path("rigs/<int:pk>/edit/", views.RigUpdateView.as_view(), name="rig-edit"),
    path("wells/", views.WellListView.as_view(), name="well-list"),
    path("wells/<int:pk>/edit/", views.WellUpdateView.as_view(), name="well-edit"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact-edit"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier-list"),
    path("suppliers/new/", views.SupplierCreateView.as_view(), name="supplier-create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier-detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierUpdateView.as_view(), name="supplier-edit"),
    path("suppliers/<int:pk>/approval/", views.SupplierApprovalView.as_view(), name="supplier-approval"),
    path("suppliers/<int:pk>/contacts/new/", views.SupplierContactCreateView.as_view(), name="supplier-contact-create"),
]
