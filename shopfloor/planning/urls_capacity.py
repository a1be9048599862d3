"""Capacity page (included by `planning/urls.py` under app_name "planning")."""

from django.urls import path

from . import views_capacity as views

urlpatterns = [path("capacity/", views.CapacityView.as_view(), name="capacity")]
