"""Capacity page: load against capacity per work center and machine, per day or week, rough-cut or
detailed, as a table and SVG bars with overloaded buckets marked (colour, class and text)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.views.generic import TemplateView

from shopfloor.core import access, tenancy
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import TenantViewMixin

from . import capacity
from .forms_mrp import CapacityForm

BAR_WIDTH = 18
CHART_HEIGHT = 120


def chart(rows: list[capacity.CapacityRow]) -> dict[str, Any]:
    """Bars of load (red when overloaded) with a capacity tick per bucket, for one series."""
    top = max([float(r.load_hours) for r in rows] + [float(r.capacity_hours) for r in rows] + [1.0])
    bars = []
    for i, row in enumerate(rows):
        load_h = float(row.load_hours) / top * CHART_HEIGHT
        cap_y = CHART_HEIGHT - float(row.capacity_hours) / top * CHART_HEIGHT
        bars.append(
            {
                "x": i * (BAR_WIDTH + 6) + 4,
                "y": round(CHART_HEIGHT - load_h, 1),
                "height": round(load_h, 1),
                "cap_y": round(cap_y, 1),
                "row": row,
            }
        )
    return {"bars": bars, "width": len(rows) * (BAR_WIDTH + 6) + 8, "height": CHART_HEIGHT, "bar": BAR_WIDTH}


class CapacityView(TenantViewMixin, TemplateView):
    template_name = "planning/capacity.html"
    permission_required = "planning.view_mrprun"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plants = access.plants_of(self.request.user)
        current = tenancy.current_plant()
        default_plant = current if current is not None and current in plants else plants.first()
        data = {**CapacityForm.defaults(default_plant), **{k: v for k, v in self.request.GET.items() if v}}
        form = CapacityForm(data)
        # Only the user's plants: another one is not a valid choice, like another organization's.
        form.fields["plant"].queryset = plants
        context.update(title="Capacity", form=form, series=[])
        if not form.is_valid():
            return context
        params = form.cleaned_data
        access.require(self.request.user, self.permission_required, plant=params["plant"])
        try:
            rows = capacity.capacity_load(**params)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return context
        grouped: dict[tuple[int, int | None], list[capacity.CapacityRow]] = defaultdict(list)
        for row in rows:
            grouped[(row.work_center.pk, row.machine.pk if row.machine else None)].append(row)
        series = []
        for group in grouped.values():
            first = group[0]
            series.append(
                {
                    "work_center": first.work_center,
                    "machine": first.machine,
                    "rows": group,
                    "chart": chart(group),
                    "overloaded": sum(1 for r in group if r.overloaded),
                }
            )
        context.update(
            series=series,
            buckets=[r.bucket_start for r in series[0]["rows"]] if series else [],
            plant=params["plant"],
            mode=params["mode"],
            bucket=params["bucket"],
        )
        return context
