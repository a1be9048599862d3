"""The SPC page: paste figures, pick a chart, see the chart (SVG) and the capability table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from shopfloor.core.views import TenantViewMixin

from .charts import render_control_chart
from .defaults import USE_SPC
from .spc import RULES
from .spc_forms import SpcForm


class SpcView(TenantViewMixin, View):
    """Computes on POST without storing anything; the form keeps the figures for another try."""

    permission_required = USE_SPC
    template_name = "quality/spc.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, SpcForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SpcForm(request.POST)
        status = 200 if form.is_valid() else 400
        return self._page(request, form, status=status)

    def _page(self, request: HttpRequest, form: SpcForm, status: int = 200) -> HttpResponse:
        context: dict[str, Any] = {"form": form, "title": "Statistical process control"}
        result = form.result if form.is_bound and not form.errors else None
        if result is not None:
            data = result.to_dict()
            context.update(
                result=data,
                svg=render_control_chart(result),
                violations=[
                    {"rule": rule, "label": RULES[rule], "samples": samples}
                    for rule, samples in data["violations"].items()
                    if samples
                ],
            )
        return render(request, self.template_name, context, status=status)
