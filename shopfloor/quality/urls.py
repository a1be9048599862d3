from django.urls import path

from . import spc_views

app_name = "quality"

urlpatterns = [
    path("spc/", spc_views.SpcView.as_view(), name="spc"),
]
