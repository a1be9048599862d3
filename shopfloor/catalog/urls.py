from django.urls import path

from . import document_views, views, views_bom

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
    # Drawings and documents (document_views)
    path("documents/", document_views.DocumentListView.as_view(), name="document-list"),
    path("documents/new/", document_views.DocumentCreateView.as_view(), name="document-create"),
    path("documents/<int:pk>/", document_views.DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:pk>/edit/", document_views.DocumentUpdateView.as_view(), name="document-edit"),
    path("documents/<int:pk>/upload/", document_views.RevisionUploadView.as_view(), name="document-upload"),
    path("documents/<int:pk>/links/", document_views.LinkAddView.as_view(), name="document-link-add"),
    path(
        "documents/<int:pk>/links/<int:link_pk>/delete/",
        document_views.LinkDeleteView.as_view(),
        name="document-link-delete",
    ),
    path("document-revisions/<int:pk>/", document_views.RevisionDetailView.as_view(), name="revision-detail"),
    path(
        "document-revisions/<int:pk>/download/",
        document_views.RevisionDownloadView.as_view(),
        name="revision-download",
    ),
    path("document-revisions/<int:pk>/delete/", document_views.RevisionDeleteView.as_view(), name="revision-delete"),
    # Bills of materials (views_bom)
    path("items/<int:pk>/bom/", views_bom.BomVersionsView.as_view(), name="bom-versions"),
    path("items/<int:pk>/where-used/", views_bom.WhereUsedView.as_view(), name="bom-where-used"),
    path("bom/<int:pk>/", views_bom.BomEditorView.as_view(), name="bom-editor"),
    path("bom/<int:pk>/lines/", views_bom.BomLineSaveView.as_view(), name="bom-line-add"),
    path("bom/<int:pk>/lines/<int:line_pk>/", views_bom.BomLineSaveView.as_view(), name="bom-line"),
    path("bom/<int:pk>/lines/<int:line_pk>/delete/", views_bom.BomLineDeleteView.as_view(), name="bom-line-delete"),
    path("bom/<int:pk>/release/", views_bom.BomReleaseView.as_view(), name="bom-release"),
    path("bom/<int:pk>/copy/", views_bom.BomCopyView.as_view(), name="bom-copy"),
    path("bom/<int:pk>/explode/", views_bom.BomExplodeView.as_view(), name="bom-explode"),
    path("bom/<int:pk>/rollup/", views_bom.BomRollupView.as_view(), name="bom-rollup"),
    path("bom/<int:pk>/diff/", views_bom.BomDiffView.as_view(), name="bom-diff"),
]
