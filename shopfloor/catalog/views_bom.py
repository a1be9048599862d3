"""Web pages of bills of materials: versions of an item, the BOM editor, explosion tree,
costed roll-up, where-used and the diff of two versions; plus the item-page panels.

The editor adds, changes and removes lines with htmx: each save goes through
`services.save_bom_line`, which validates the line as it is added, and the errors come back on
the form of that line. Every write is a service call; the views only parse and render.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import TenantViewMixin

from . import panels, selectors, services
from .models import QUANTITY, BomLine, BomVersion, Item, Unit

# The explosion page draws at most this many rows; beyond it a plant wants the API or an export.
MAX_TREE_ROWS = 3000


class BomLineForm(forms.Form):
    """A line as typed in the editor: the component by its item number (scanner friendly)."""

    component = forms.CharField(max_length=40, label="Component", help_text="Item number")
    quantity = forms.DecimalField(**QUANTITY, label="Quantity per")
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), required=False, empty_label="(stock unit)", label="Unit"
    )
    scrap_factor = forms.DecimalField(
        max_digits=7, decimal_places=6, required=False, initial=0, label="Scrap", help_text="0.05 = 5 %"
    )
    is_phantom = forms.BooleanField(required=False, label="Phantom")
    effective_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reference_designators = forms.CharField(required=False, max_length=2000, label="Reference designators")
    position = forms.IntegerField(required=False, min_value=1, help_text="Blank: after the last line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True)

    def clean_component(self) -> Item:
        number = self.cleaned_data["component"].strip()
        item = Item.objects.select_related("stock_unit").filter(number=number).first()
        if item is None:
            raise ValidationError(f"No item numbered {number}.")
        return item

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["unit"] = data.get("unit") or data["component"].stock_unit
        data["scrap_factor"] = data.get("scrap_factor") or Decimal(0)
        if not data.get("position"):
            data.pop("position", None)
        return data

    @classmethod
    def for_line(cls, line: BomLine) -> BomLineForm:
        return cls(
            initial={
                "component": line.component.number,
                "quantity": line.quantity.normalize(),
                "unit": line.unit_id,
                "scrap_factor": line.scrap_factor.normalize(),
                "is_phantom": line.is_phantom,
                "effective_from": line.effective_from,
                "effective_to": line.effective_to,
                "reference_designators": line.reference_designators,
                "position": line.position,
            }
        )


def _version(pk: int) -> BomVersion:
    return get_object_or_404(selectors.bom_versions(), pk=pk)


def _quantity(request: HttpRequest) -> Decimal:
    try:
        value = Decimal(request.GET.get("quantity") or "1")
    except InvalidOperation:
        return Decimal(1)
    return value if value > 0 else Decimal(1)


def _date(request: HttpRequest) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        return None


def nest(rows: list[selectors.ExplosionRow]) -> list[dict[str, Any]]:
    """Depth-first rows with levels -> nested nodes for the details/summary tree."""
    roots: list[dict[str, Any]] = []
    chain: list[dict[str, Any]] = []
    for row in rows:
        node = {"row": row, "children": []}
        del chain[row.level - 1 :]
        (chain[-1]["children"] if chain else roots).append(node)
        chain.append(node)
    return roots


def _tree_context(version: BomVersion | None, quantity: Decimal, on: date | None) -> dict[str, Any]:
    rows = selectors.explode_version(version, quantity=quantity, on=on) if version else []
    shown = rows[:MAX_TREE_ROWS]
    return {"nodes": nest(shown), "row_count": len(rows), "truncated": len(rows) > len(shown)}


# --- Versions of an item ------------------------------------------------------------------------


class BomVersionsView(TenantViewMixin, View):
    """The BOM versions of an item; POST starts a new empty draft."""

    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(Item.objects.select_related("stock_unit"), pk=pk)
        versions = list(BomVersion.objects.filter(item=item).order_by("-version"))
        counts = dict(
            BomLine.objects.filter(version__item=item).values_list("version_id").annotate(n=Count("id")).order_by()
        )
        for v in versions:
            v.line_count = counts.get(v.pk, 0)
        return render(
            request,
            "catalog/bom_versions.html",
            {
                "title": f"BOM of {item.number}",
                "item": item,
                "versions": versions,
                "can_edit": access.has_perm(request.user, "catalog.add_bomversion"),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(Item.objects.all(), pk=pk)
        try:
            version = services.create_bom_version(actor=request.user, item=item)
        except (ValidationError, Conflict) as exc:
            messages.error(request, _message(exc))
            return HttpResponseRedirect(reverse("catalog:bom-versions", args=[pk]))
        messages.success(request, f"Draft version {version.version} started.")
        return HttpResponseRedirect(reverse("catalog:bom-editor", args=[version.pk]))


def _message(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return " ".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(getattr(exc, "messages", [str(exc)]))


# --- The editor -----------------------------------------------------------------------------------


class BomEditorView(TenantViewMixin, View):
    """One version: its lines, and for a draft the line form and the release button."""

    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        return render(request, "catalog/bom_editor.html", _editor_context(request, version))


def _editor_context(
    request: HttpRequest, version: BomVersion, form: BomLineForm | None = None, editing: BomLine | None = None
) -> dict[str, Any]:
    editable = version.status == services.BOM_DRAFT and access.has_perm(request.user, "catalog.change_bomversion")
    lines = list(
        BomLine.objects.filter(version=version).select_related("component__stock_unit", "unit").order_by("position")
    )
    return {
        "title": f"{version.item.number} BOM version {version.version}",
        "version": version,
        "item": version.item,
        "lines": lines,
        "editable": editable,
        "form": form if form is not None else (BomLineForm() if editable else None),
        "editing": editing,
        # A refused save shows its form with the reason even once the version is no longer a draft.
        "show_form": editable or (form is not None and bool(form.errors)),
        "can_release": version.status == services.BOM_DRAFT
        and access.has_perm(request.user, "catalog.release_bomversion"),
    }


def _lines_response(request: HttpRequest, version: BomVersion, **kwargs: Any) -> HttpResponse:
    if request.htmx:
        return render(request, "catalog/bom_lines.html", _editor_context(request, version, **kwargs))
    return render(request, "catalog/bom_editor.html", _editor_context(request, version, **kwargs))


class BomLineSaveView(TenantViewMixin, View):
    """Add a line (no line pk) or save one; errors come back on the form of that line.

    GET with a line pk shows that line in the form for editing.
    """

    permission_required = "catalog.change_bomversion"

    def get(self, request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
        version = _version(pk)
        line = get_object_or_404(BomLine.objects.select_related("component", "unit"), pk=line_pk, version=version)
        return _lines_response(request, version, form=BomLineForm.for_line(line), editing=line)

    def post(self, request: HttpRequest, pk: int, line_pk: int | None = None) -> HttpResponse:
        version = _version(pk)
        line = get_object_or_404(BomLine.objects.all(), pk=line_pk, version=version) if line_pk else None
        form = BomLineForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_bom_line(actor=request.user, version=version, data=form.service_data(), line=line)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                if not request.htmx:
                    messages.success(request, f"Line {saved.position} saved.")
                    return HttpResponseRedirect(reverse("catalog:bom-editor", args=[pk]))
                return _lines_response(request, version)
        return _lines_response(request, version, form=form, editing=line)


class BomLineDeleteView(TenantViewMixin, View):
    permission_required = "catalog.change_bomversion"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
        version = _version(pk)
        line = get_object_or_404(BomLine.objects.all(), pk=line_pk, version=version)
        try:
            services.delete_bom_line(actor=request.user, line=line)
        except Conflict as exc:
            messages.error(request, exc.message)
        if request.htmx:
            return _lines_response(request, version)
        return HttpResponseRedirect(reverse("catalog:bom-editor", args=[pk]))


class BomReleaseView(TenantViewMixin, View):
    """Release the draft: the item's released version becomes obsolete in the same step."""

    permission_required = "catalog.release_bomversion"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        try:
            services.release_bom_version(actor=request.user, version=version, comment=request.POST.get("comment", ""))
        except (ValidationError, Conflict) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, f"Version {version.version} of {version.item.number} released.")
        return HttpResponseRedirect(reverse("catalog:bom-editor", args=[pk]))


class BomCopyView(TenantViewMixin, View):
    permission_required = "catalog.add_bomversion"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        try:
            copy = services.copy_bom_version(actor=request.user, version=version)
        except (ValidationError, Conflict) as exc:
            messages.error(request, _message(exc))
            return HttpResponseRedirect(reverse("catalog:bom-editor", args=[pk]))
        messages.success(request, f"Draft version {copy.version} copied from version {version.version}.")
        return HttpResponseRedirect(reverse("catalog:bom-editor", args=[copy.pk]))


# --- Reading: explosion, roll-up, diff, where-used --------------------------------------------------


class BomExplodeView(TenantViewMixin, View):
    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        quantity, on = _quantity(request), _date(request)
        context = {
            "title": f"Explosion of {version.item.number} v{version.version}",
            "version": version,
            "item": version.item,
            "quantity": quantity,
            "on": on,
            **_tree_context(version, quantity, on),
        }
        return render(request, "catalog/bom_explode.html", context)


class BomRollupView(TenantViewMixin, View):
    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        quantity, on = _quantity(request), _date(request)
        result = selectors.rollup_version(version, quantity=quantity, on=on)
        data = result.as_dict()
        return render(
            request,
            "catalog/bom_rollup.html",
            {
                "title": f"Cost roll-up of {version.item.number} v{version.version}",
                "version": version,
                "item": version.item,
                "quantity": quantity,
                "on": on,
                "result": data,
                "rows": data["rows"][:MAX_TREE_ROWS],
                "truncated": len(data["rows"]) > MAX_TREE_ROWS,
            },
        )


class BomDiffView(TenantViewMixin, View):
    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(pk)
        others = BomVersion.objects.filter(item_id=version.item_id).exclude(pk=version.pk).order_by("-version")
        other = others.filter(pk=request.GET.get("other")).first() if request.GET.get("other", "").isdigit() else None
        if other is None:
            other = others.filter(version__lt=version.version).first()
        result = selectors.diff(other, version) if other is not None else None
        return render(
            request,
            "catalog/bom_diff.html",
            {
                "title": f"{version.item.number}: changes to version {version.version}",
                "version": version,
                "item": version.item,
                "other": other,
                "others": others,
                "result": result,
            },
        )


class WhereUsedView(TenantViewMixin, View):
    permission_required = "catalog.view_bomversion"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(Item.objects.all(), pk=pk)
        all_levels = request.GET.get("levels") == "all"
        return render(
            request,
            "catalog/bom_where_used.html",
            {
                "title": f"Where {item.number} is used",
                "item": item,
                "all_levels": all_levels,
                "rows": selectors.where_used(item, all_levels=all_levels),
            },
        )


# --- Item-page panels (registered when the catalog URLconf loads this module) ----------------------


def _bom_panel(request: HttpRequest, item: Item) -> dict[str, Any]:
    version = selectors.released_version(item)
    return {"version": version, **_tree_context(version, Decimal(1), None)}


def _where_used_panel(request: HttpRequest, item: Item) -> dict[str, Any]:
    return {"rows": selectors.where_used(item)}


panels.register_item_panel(
    "bom", "Bill of materials", "catalog/bom_panel.html", _bom_panel, order=10, permission="catalog.view_bomversion"
)
panels.register_item_panel(
    "where-used",
    "Where used",
    "catalog/bom_where_used_panel.html",
    _where_used_panel,
    order=20,
    permission="catalog.view_bomversion",
)
