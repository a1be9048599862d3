from django.urls import path

from . import views

app_name = "floor"

urlpatterns = [
    path("", views.TerminalView.as_view(), name="terminal"),
    path("scan/", views.ScanView.as_view(), name="scan"),
    path("work-orders/<int:pk>/", views.WorkOrderView.as_view(), name="work-order"),
    path("work-orders/<int:pk>/traveller/", views.TravellerView.as_view(), name="traveller"),
    path("operations/<int:pk>/", views.OperationView.as_view(), name="operation"),
    path("operations/<int:pk>/complete/", views.CompleteView.as_view(), name="operation-complete"),
    path("operations/<int:pk>/<slug:action>/", views.OperationActionView.as_view(), name="operation-action"),
    path("<slug:kind>/<int:pk>/issue/", views.IssueView.as_view(), name="issue"),
    path("labels/", views.LabelPrintView.as_view(), name="labels"),
    path("labels/<slug:kind>/<int:pk>/", views.LabelView.as_view(), name="label"),
]
