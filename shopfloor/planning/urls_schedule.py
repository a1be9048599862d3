"""Schedule pages: the plant's schedule (Gantt, conflicts), its live status, reschedule, pins."""

from django.urls import path

from . import views_schedule as views

urlpatterns = [
    path("schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("schedule/runs/<int:pk>/status/", views.ScheduleStatusView.as_view(), name="schedule-status"),
    path("schedule/reschedule/", views.RescheduleView.as_view(), name="schedule-run"),
    path("schedule/pins/", views.PinView.as_view(), name="schedule-pin"),
    path("schedule/pins/<int:pk>/delete/", views.UnpinView.as_view(), name="schedule-unpin"),
]
