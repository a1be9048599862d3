from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("unit-categories/", views.UnitCategoryListView.as_view(), name="unitcategory-list"),
    path("unit-categories/new/", views.UnitCategoryCreateView.as_view(), name="unitcategory-create"),
    path("unit-categories/<int:pk>/edit/", views.UnitCategoryUpdateView.as_view(), name="unitcategory-edit"),
    path("units/", views.UnitListView.as_view(), name="unit-list"),
    path("units/new/", views.UnitCreateView.as_view(), name="unit-create"),
    path("units/<int:pk>/edit/", views.UnitUpdateView.as_view(), name="unit-edit"),
    path("units/convert/", views.ConversionView.as_view(), name="unit-convert"),
    path("items/", views.ItemListView.as_view(), name="item-list"),
    path("items/new/", views.ItemCreateView.as_view(), name="item-create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:pk>/edit/", views.ItemUpdateView.as_view(), name="item-edit"),
    path("items/<int:pk>/conversions/", views.ItemConversionAddView.as_view(), name="item-conversion-add"),
    path(
        "items/<int:pk>/conversions/<int:conversion_pk>/delete/",
        views.ItemConversionDeleteView.as_view(),
        name="item-conversion-delete",
    ),
    path("items/<int:pk>/panels/<slug:key>/", views.ItemPanelView.as_view(), name="item-panel"),
]
