from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("transition/", views.TransitionView.as_view(), name="transition"),
    path("approvals/<int:pk>/approve/", views.DecideView.as_view(approve=True), name="approval-approve"),
    path("approvals/<int:pk>/reject/", views.DecideView.as_view(approve=False), name="approval-reject"),
    path("change-requests/", views.ChangeRequestListView.as_view(), name="changerequest-list"),
    path("change-requests/new/", views.ChangeRequestCreateView.as_view(), name="changerequest-create"),
    path("change-requests/<int:pk>/", views.ChangeRequestDetailView.as_view(), name="changerequest-detail"),
    path("change-requests/<int:pk>/edit/", views.ChangeRequestUpdateView.as_view(), name="changerequest-edit"),
    path("definitions/", views.DefinitionListView.as_view(), name="definition-list"),
    path("definitions/<int:pk>/", views.DefinitionDetailView.as_view(), name="definition-detail"),
    path("definitions/<int:pk>/states/new/", views.StateFormView.as_view(), name="state-create"),
    path("definitions/<int:pk>/states/<int:part>/edit/", views.StateFormView.as_view(), name="state-edit"),
    path("definitions/<int:pk>/states/<int:part>/delete/", views.StateDeleteView.as_view(), name="state-delete"),
    path("definitions/<int:pk>/transitions/new/", views.TransitionFormView.as_view(), name="transition-create"),
    path(
        "definitions/<int:pk>/transitions/<int:part>/edit/",
        views.TransitionFormView.as_view(),
        name="transition-edit",
    ),
    path(
        "definitions/<int:pk>/transitions/<int:part>/delete/",
        views.TransitionDeleteView.as_view(),
        name="transition-delete",
    ),
]
