from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.ExchangeHomeView.as_view(), name="home"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/commit/", views.JobCommitView.as_view(), name="job-commit"),
    path("export/<slug:dataset>.<str:fmt>", views.ExportView.as_view(), name="export"),
]
