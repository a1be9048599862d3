from django.urls import path

from . import views

app_name = "resources"

urlpatterns = [
    path("work-centers/", views.WorkCenterListView.as_view(), name="workcenter-list"),
    path("work-centers/new/", views.WorkCenterCreateView.as_view(), name="workcenter-create"),
    path("work-centers/<int:pk>/", views.WorkCenterDetailView.as_view(), name="workcenter-detail"),
    path("work-centers/<int:pk>/edit/", views.WorkCenterUpdateView.as_view(), name="workcenter-edit"),
    path("machines/", views.MachineListView.as_view(), name="machine-list"),
    path("machines/new/", views.MachineCreateView.as_view(), name="machine-create"),
    path("machines/<int:pk>/", views.MachineDetailView.as_view(), name="machine-detail"),
    path("machines/<int:pk>/edit/", views.MachineUpdateView.as_view(), name="machine-edit"),
    path("machines/<int:pk>/downtimes/", views.DowntimeAddView.as_view(), name="downtime-add"),
    path("machine-downtimes/<int:pk>/end/", views.DowntimeEndView.as_view(), name="downtime-end"),
    path("machine-downtimes/<int:pk>/delete/", views.DowntimeDeleteView.as_view(), name="downtime-delete"),
    path("capabilities/", views.CapabilityListView.as_view(), name="capability-list"),
    path("capabilities/new/", views.CapabilityCreateView.as_view(), name="capability-create"),
    path("capabilities/<int:pk>/edit/", views.CapabilityUpdateView.as_view(), name="capability-edit"),
    path("calendars/", views.CalendarListView.as_view(), name="calendar-list"),
    path("calendars/new/", views.CalendarCreateView.as_view(), name="calendar-create"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar-detail"),
    path("calendars/<int:pk>/edit/", views.CalendarUpdateView.as_view(), name="calendar-edit"),
    path("calendars/<int:pk>/shifts/", views.ShiftAddView.as_view(), name="shift-add"),
    path("calendars/<int:pk>/exceptions/", views.ExceptionAddView.as_view(), name="exception-add"),
    path("shifts/<int:pk>/delete/", views.ShiftDeleteView.as_view(), name="shift-delete"),
    path("calendar-exceptions/<int:pk>/delete/", views.ExceptionDeleteView.as_view(), name="exception-delete"),
    path("routings/", views.RoutingListView.as_view(), name="routing-list"),
    path("routings/new/", views.RoutingCreateView.as_view(), name="routing-create"),
    path("routings/<int:pk>/", views.RoutingDetailView.as_view(), name="routing-detail"),
    path("routings/<int:pk>/edit/", views.RoutingUpdateView.as_view(), name="routing-edit"),
    path("routings/<int:pk>/release/", views.RoutingReleaseView.as_view(), name="routing-release"),
    path("routings/<int:pk>/copy/", views.RoutingCopyView.as_view(), name="routing-copy"),
    path("routings/<int:pk>/operations/", views.OperationAddView.as_view(), name="operation-add"),
    path("operations/<int:pk>/edit/", views.OperationUpdateView.as_view(), name="operation-edit"),
    path("operations/<int:pk>/delete/", views.OperationDeleteView.as_view(), name="operation-delete"),
]
