"""Import/Export page: upload a file, watch its job, read its errors, commit it; download exports.

The job page polls its status partial with htmx every second while the job is queued or
running; the finished partial carries no trigger, so polling stops by itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import TenantViewMixin

from . import registry, selectors, services
from .formats import FORMATS
from .forms import ImportForm
from .models import ImportJob

VIEW = "exchange.view_importjob"
ADD = "exchange.add_importjob"


def _datasets_for(user: Any) -> list[dict[str, Any]]:
    return [
        {"spec": spec, "can_export": access.has_perm(user, spec.view_permission)} for spec in registry.all_datasets()
    ]


class ExchangeHomeView(TenantViewMixin, View):
    """Upload form, recent jobs, export downloads and the column reference of every dataset."""

    permission_required = VIEW
    template_name = "exchange/home.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        access.require(request.user, ADD)
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.start_import(
                    actor=request.user,
                    dataset=form.cleaned_data["dataset"],
                    upload=form.cleaned_data["file"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                return HttpResponseRedirect(reverse("exchange:job-detail", args=[job.pk]))
        return self._render(request, form, status=400)

    def _render(self, request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
        context = {
            "title": "Import and export",
            "form": form,
            "can_import": access.has_perm(request.user, ADD),
            "jobs": selectors.import_jobs()[:20],
            "datasets": _datasets_for(request.user),
            "formats": FORMATS,
        }
        return render(request, self.template_name, context, status=status)


class JobDetailView(TenantViewMixin, View):
    permission_required = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(selectors.import_jobs(), pk=pk)
        template = "exchange/_job.html" if request.headers.get("HX-Request") else "exchange/job_detail.html"
        context = {
            "title": f"Import {job.pk}",
            "job": job,
            "progress": selectors.live_progress(job),
            "spec": registry.get(job.dataset),
            "can_commit": access.has_perm(request.user, ADD),
        }
        return render(request, template, context)


class JobCommitView(TenantViewMixin, View):
    permission_required = ADD
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ImportJob.objects.all(), pk=pk)
        try:
            services.commit_import(actor=request.user, job=job)
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Committing: every row is written, or none.")
        return HttpResponseRedirect(reverse("exchange:job-detail", args=[job.pk]))


class ExportView(TenantViewMixin, View):
    """Download every row of a dataset; the dataset's own view permission is checked by the selector."""

    permission_required = VIEW

    def get(self, request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
        if dataset not in registry.names() or fmt not in FORMATS:
            raise Http404("No such dataset or format.")
        body, filename, content_type = selectors.export(actor=request.user, dataset=dataset, fmt=fmt)
        response: HttpResponse | StreamingHttpResponse
        if isinstance(body, bytes):
            response = HttpResponse(body, content_type=content_type)
        else:
            response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
