"""The /floor/ terminal for tablets and keyboard-wedge scanners, label printing and travellers.

Every screen has one scan field that holds the focus: the scanner types a code and Enter. A
work order or operation code opens it; START / PAUSE / RESUME / COMPLETE act on the job card
shown; a lot or serial label issues material to it. Every write is a call to `floor.services`,
which calls production's services.

An action posts. A browser without JavaScript is redirected to the page the action leads to
(so a reload never posts twice) and gets the whole page. The tablet's htmx requests (those that
swap the #terminal panel) are answered at once with that page's panel alone and its address in
`HX-Push-Url`, so the address bar, a reload and the back button still show that page: one round
trip per action instead of two, and no page shell rendered around a panel the tablet discards.
"""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import resolve, reverse
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import FormView, TemplateView

from shopfloor.core import access, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.views import TenantViewMixin
from shopfloor.inventory.models import Lot, SerialNumber
from shopfloor.production import selectors as production_selectors
from shopfloor.production import services as production_services
from shopfloor.production.models import Operation, WorkOrder

from . import codes, forms, labels, selectors, services, traveller


def _problem(request: HttpRequest, exc: Exception) -> None:
    """A refused action as one clear line for the operator (nothing was written)."""
    if isinstance(exc, ValidationError):
        text = " ".join(exc.messages)
    elif isinstance(exc, Conflict):
        text = exc.message
    else:
        text = str(exc) or "Not allowed."
    messages.error(request, text)


def url_for(target: WorkOrder | Operation | None, step: str = "", **params: Any) -> str:
    if isinstance(target, Operation):
        url = reverse("floor:operation", args=[target.pk])
    elif isinstance(target, WorkOrder):
        url = reverse("floor:work-order", args=[target.pk])
    else:
        url = reverse("floor:terminal")
    query = {k: v for k, v in {"step": step, **params}.items() if v not in ("", None)}
    return f"{url}?{urlencode(query)}" if query else url


def wants_panel(request: HttpRequest) -> bool:
    """Whether the request is the tablet's htmx request swapping the terminal panel (HX-Target
    "terminal"): it takes the panel alone. A history restore (the back button with htmx's cache
    empty) replaces the whole page, so it takes the whole page, as does any other request."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "terminal" and not htmx.history_restore_request


def _show(request: HttpRequest, url: str) -> HttpResponse:
    """Where an action leads (`url`, a terminal page). Without htmx a redirect to it (the page is
    fetched next, so a reload never posts again). With htmx that page's panel, rendered now, with
    `HX-Push-Url: url`: the tablet shows the address of the page, never the POST's. The page view
    runs on a GET copy of this request (its own permission check, query string and path; the same
    user, session and messages, so the action's message shows in the panel it answers with)."""
    if not wants_panel(request):
        return HttpResponseRedirect(url)
    path, _, query = url.partition("?")
    match = resolve(path)
    page = copy.copy(request)
    page.method = "GET"
    page.path = page.path_info = path
    page.GET = QueryDict(query)
    page.POST = QueryDict()
    page.resolver_match = match
    response = match.func(page, *match.args, **match.kwargs)
    response["HX-Push-Url"] = url
    return response


def _context_of(value: str) -> WorkOrder | Operation | None:
    """The object the terminal showed when the scan was made ("op:12", "wo:3"), in this organization."""
    kind, _, pk = (value or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "op":
        # The row alone: a command reads the job card again under lock, a lot label its order.
        return selectors.one(Operation.objects.filter(pk=int(pk)))
    if kind == "wo":
        return selectors.one(selectors.work_orders().filter(pk=int(pk)))
    return None


def _at_user_plant(request: HttpRequest, work_order: WorkOrder) -> WorkOrder:
    """The order, if the user works at its plant; else 404, like another organization's."""
    if not access.works_at(request.user, work_order.plant_id):
        raise Http404("No such work order.")
    return work_order


def _job_card(request: HttpRequest, pk: int, *related: str) -> Operation:
    """The job card an action posts to, at the user's plants (another plant's is a 404)."""
    rows = Operation.objects.select_related(*related) if related else Operation.objects.all()
    return get_object_or_404(access.at_user_plants(rows, request.user, "work_order__plant"), pk=pk)


def _opens_work(text: str) -> bool:
    try:
        return codes.parse(text).kind in (codes.WORK_ORDER, codes.OPERATION)
    except ValidationError:
        return False


class _TerminalPage(TenantViewMixin, TemplateView):
    template_name = "floor/terminal.html"
    panel_template_name = "floor/panel.html"  # the panel alone, for the tablet's htmx requests
    permission_required = "production.view_workorder"
    context_key = ""

    def terminal_context(self) -> dict[str, Any]:
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.terminal_context())
        context["scan_form"] = forms.ScanForm(initial={"context": self.context_key})
        context["step"] = self.request.GET.get("step", "")
        return context

    def get_template_names(self) -> list[str]:
        return [self.panel_template_name if wants_panel(self.request) else self.template_name]

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))  # the same address, two answers
        return response


class TerminalView(_TerminalPage):
    """Home: the scan field, the operator's own running job cards and the plant's open orders."""

    def terminal_context(self) -> dict[str, Any]:
        user = self.request.user
        mine = (
            selectors.operations()
            .filter(operator=user, status__in=[Operation.Status.IN_PROGRESS, Operation.Status.PAUSED])
            .order_by("work_order__number", "sequence")[:10]
        )
        orders = access.at_user_plants(selectors.work_orders(), user).filter(status__in=["released", "in_progress"])
        orders = orders.order_by("due_date", "id")
        plant = tenancy.current_plant()
        if plant is not None:
            orders = orders.filter(plant=plant)
        return {"panel": "home", "title": "Terminal", "my_operations": list(mine), "open_orders": list(orders[:12])}


def _issue_step(request: HttpRequest, work_order: WorkOrder) -> dict[str, Any]:
    """The issue form for a scanned lot (`?step=issue&lot=`), with the proposed place and quantity.

    Right after the scan of the lot label, in the same request (`_show`), the proposal the scan
    made is shown as it is (`floor_issue_proposal`): it was read a moment ago, in this request."""
    lot_id = request.GET.get("lot", "")
    if not lot_id.isdigit():
        return {}
    proposal = getattr(request, "floor_issue_proposal", None)
    if not (
        proposal is not None
        and proposal["lot"].pk == int(lot_id)
        and proposal["material"].work_order_id == work_order.pk
    ):
        lot = selectors.one(selectors.lots().filter(pk=int(lot_id)))
        if lot is None:
            return {}
        try:
            proposal = services.issue_proposal(work_order=work_order, lot=lot)
        except (ValidationError, Conflict) as exc:
            _problem(request, exc)
            return {}
    lot = proposal["lot"]
    location = request.GET.get("location") or proposal["location"].pk
    form = forms.IssueForm(
        initial={
            "lot": lot.pk,
            "location": location,
            "quantity": request.GET.get("quantity", proposal["quantity"]),
            "key": uuid.uuid4().hex,
        }
    )
    # The places the lot is at, as read with the proposal (the issue service checks what is posted).
    form.fields["location"].choices = [
        (b.location_id, f"{b.location.code} ({format(b.on_hand.normalize(), 'f')} on hand)") for b in proposal["places"]
    ]
    return {"issue": proposal, "issue_form": form}


def _order_context(request: HttpRequest, work_order: WorkOrder, ops: list[Operation]) -> dict[str, Any]:
    materials = selectors.material_lines(work_order, ops)
    # progress() takes these from the row when annotated (work_orders() of production does);
    # the job cards are loaded already, so it need not read them again.
    work_order.operations_total = len(ops)
    work_order.processed_quantity = sum((o.good_quantity + o.scrap_quantity for o in ops), Decimal(0))
    return {
        "work_order": work_order,
        "operations": ops,
        "materials": materials,
        "documents": selectors.documents_for(work_order, ops),
        "progress": production_selectors.progress(work_order),
        "order_status": work_order.status.replace("_", " ").capitalize(),
    }


class WorkOrderView(_TerminalPage):
    def terminal_context(self) -> dict[str, Any]:
        # The order comes with its job cards (one query); one without job cards on its own.
        ops = selectors.job_cards_of_order(work_order_id=self.kwargs["pk"])
        work_order = _at_user_plant(
            self.request,
            ops[0].work_order if ops else get_object_or_404(selectors.work_orders(), pk=self.kwargs["pk"]),
        )
        self.context_key = f"wo:{work_order.pk}"
        context = {"panel": "work_order", "title": work_order.number, **_order_context(self.request, work_order, ops)}
        if self.request.GET.get("step") == "issue":
            context.update(_issue_step(self.request, work_order))
        return context


class OperationView(_TerminalPage):
    def terminal_context(self) -> dict[str, Any]:
        # The job card, its order and the order's other job cards: one query.
        ops = selectors.job_cards_of_order(operation_id=self.kwargs["pk"])
        op = next((o for o in ops if o.pk == self.kwargs["pk"]), None)
        if op is None:
            raise Http404("No such operation.")
        _at_user_plant(self.request, op.work_order)
        self.context_key = f"op:{op.pk}"
        if op.operator_id is not None and op.operator_id == self.request.user.pk:
            # The panel names the operator: nearly always the one at this terminal, no query for them.
            op.operator = self.request.user
        work_order = op.work_order
        context = {
            "panel": "operation",
            "title": f"{work_order.number}/{op.sequence}",
            "operation": op,
            **_order_context(self.request, work_order, ops),
        }
        context["operation_documents"] = context["documents"]["operations"].get(op.pk, [])
        step = self.request.GET.get("step", "")
        if step == "complete" and op.status in (Operation.Status.IN_PROGRESS, Operation.Status.PAUSED):
            g = self.request.GET
            context["complete_form"] = forms.CompleteForm(
                initial={
                    "good": g.get("good", ""),
                    "scrap": g.get("scrap", ""),
                    "scrap_reason": g.get("scrap_reason", ""),
                }
            )
            context["received"] = production_services.received_quantity(op, siblings=ops)
        elif step == "issue":
            context.update(_issue_step(self.request, work_order))
        context["can_work"] = access.has_perm(self.request.user, "production.change_operation")
        return context


class ScanView(TenantViewMixin, View):
    """One scan, in the context of the screen it was made on; then show where it leads."""

    permission_required = "production.view_workorder"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("floor:terminal"))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.ScanForm(request.POST)
        shown = request.POST.get("context", "")
        if not form.is_valid():
            messages.error(request, "Scan or type a code.")
            return _show(request, url_for(_context_of(shown)))
        text = form.cleaned_data["code"]
        # A work order or job card code opens it whatever the screen showed: what that was is
        # read only for the scans that act on it (commands, labels) or to go back after an error.
        context = None if _opens_work(text) else _context_of(shown)
        try:
            result = services.scan(actor=request.user, text=text, context=context)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            _problem(request, exc)
            return _show(request, url_for(context if context is not None else _context_of(shown)))
        if result.message:
            messages.success(request, result.message)
        params: dict[str, Any] = {}
        if result.step == "issue":
            params = {"lot": result.prefill["lot"].pk}
            request.floor_issue_proposal = result.prefill  # type: ignore[attr-defined]  # see _issue_step
        return _show(request, url_for(result.target, result.step, **params))


class OperationActionView(TenantViewMixin, View):
    """The touch buttons: start, pause, resume (the same as scanning the command)."""

    permission_required = "production.view_workorder"
    words = {"start": "START", "pause": "PAUSE", "resume": "RESUME", "complete": "COMPLETE"}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        op = _job_card(request, pk)  # the service locks and reads it
        if action not in self.words:
            return _show(request, url_for(op))
        try:
            result = services.command(actor=request.user, operation=op, word=self.words[action])
        except (ValidationError, Conflict, PermissionDenied) as exc:
            _problem(request, exc)
            return _show(request, url_for(op))
        if result.message:
            messages.success(request, result.message)
        return _show(request, url_for(result.target, result.step))


class CompleteView(TenantViewMixin, View):
    permission_required = "production.view_workorder"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        op = _job_card(request, pk)  # the service locks and reads it
        form = forms.CompleteForm(request.POST)
        values = {k: request.POST.get(k, "")[:40] for k in ("good", "scrap", "scrap_reason")}
        if not form.is_valid():
            messages.error(request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
            return _show(request, url_for(op, "complete", **values))
        data = form.cleaned_data
        try:
            op = services.complete(
                actor=request.user,
                operation=op,
                good=data["good"],
                scrap=data.get("scrap") or 0,
                scrap_reason=data.get("scrap_reason", ""),
            )
        except (ValidationError, Conflict, PermissionDenied) as exc:
            _problem(request, exc)
            return _show(request, url_for(op, "complete", **values))
        scrap = f", {format(op.scrap_quantity.normalize(), 'f')} scrap" if op.scrap_quantity else ""
        messages.success(
            request,
            f"Operation {op.sequence} completed: {format(op.good_quantity.normalize(), 'f')} good{scrap}.",
        )
        return _show(request, url_for(op))


class IssueView(TenantViewMixin, View):
    """Confirm the quantity of a scanned lot and issue it to the order (on screen: an order or job card)."""

    permission_required = "production.view_workorder"

    def post(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        if kind not in ("op", "wo"):
            raise Http404("Issue to an operation (op) or a work order (wo).")
        if kind == "op":
            target: WorkOrder | Operation = _job_card(request, pk, "work_order")
            work_order, operation = target.work_order, target
        else:
            target = work_order = get_object_or_404(access.at_user_plants(selectors.work_orders(), request.user), pk=pk)
            operation = None
        form = forms.IssueForm(request.POST)
        back = {k: request.POST.get(k, "")[:40] for k in ("lot", "location", "quantity")}
        if not form.is_valid():
            messages.error(request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
            return _show(request, url_for(target, "issue", **back))
        data = form.cleaned_data
        try:
            issue = services.issue_lot(
                actor=request.user,
                work_order=work_order,
                lot=data["lot"],
                location=data["location"],
                quantity=data["quantity"],
                operation=operation,
                key=data.get("key", ""),
            )
        except (ValidationError, Conflict, PermissionDenied) as exc:
            _problem(request, exc)
            return _show(request, url_for(target, "issue", **back))
        messages.success(
            request,
            f"Issued {format(issue.quantity.normalize(), 'f')} {issue.item.stock_unit} of {issue.item.number} "
            f"lot {data['lot'].number} from {issue.location.code} to {work_order.number}.",
        )
        return _show(request, url_for(target))


# --- Travellers and labels ------------------------------------------------------------------------------


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class TravellerView(TenantViewMixin, View):
    permission_required = "production.view_workorder"
    plant_field = "plant"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        work_order = get_object_or_404(self.at_user_plants(selectors.work_orders()), pk=pk)
        return _pdf(traveller.render(work_order), f"traveller-{work_order.number}.pdf")


class LabelView(TenantViewMixin, View):
    """One label as a PDF: /floor/labels/<lot|serial|location>/<pk>/?size=62x29."""

    sources = {
        "lot": (selectors.lots, "inventory.view_lot"),
        "serial": (selectors.serial_numbers, "inventory.view_serialnumber"),
        "location": (selectors.locations, "inventory.view_location"),
    }

    def get(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        if kind not in self.sources:
            return HttpResponse(status=404)
        queryset, perm = self.sources[kind]
        access.require(request.user, perm)
        rows = queryset()
        if kind == "location":  # a bin of another plant is not found, like on the location pages
            rows = access.at_user_plants(rows, request.user)
        obj = get_object_or_404(rows, pk=pk)
        try:
            size = labels.size_named(request.GET.get("size"))
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
        body = labels.render([labels.label_for(obj)], size=size, barcode=request.GET.get("barcode") != "0")
        return _pdf(body, f"{kind}-{pk}-{size.name}.pdf")


class LabelPrintView(TenantViewMixin, FormView):
    """Scan the labels to (re)print, one per line, choose the stock, get one PDF."""

    template_name = "floor/labels.html"
    form_class = forms.LabelPrintForm
    permission_required = "inventory.view_location"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title="Print labels", sizes=labels.SIZES, **kwargs)

    def form_valid(self, form: forms.LabelPrintForm) -> HttpResponse:
        try:
            objects = selectors.labelled_objects(form.code_lines())
            for obj in objects:
                perm = {Lot: "inventory.view_lot", SerialNumber: "inventory.view_serialnumber"}.get(
                    type(obj), "inventory.view_location"
                )
                access.require(self.request.user, perm)
            body = labels.render(
                [labels.label_for(obj) for obj in objects],
                size=labels.SIZES[form.cleaned_data["size"]],
                barcode=form.cleaned_data["barcode"],
                copies=form.cleaned_data["copies"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("codes", message)
            return self.form_invalid(form)
        return _pdf(body, f"labels-{form.cleaned_data['size']}.pdf")
