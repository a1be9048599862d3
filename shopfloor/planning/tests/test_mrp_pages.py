"""MRP, forecast and capacity pages with real rows: what a planner sees and what the buttons do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.planning.models import Forecast, MrpRun, Pegging, PlannedOrder
from shopfloor.planning.tests.factories import (
    ForecastFactory,
    MrpExceptionFactory,
    MrpItemResultFactory,
    MrpRunFactory,
    PeggingFactory,
    PlannedOrderFactory,
)
from shopfloor.production.models import WorkOrder
from shopfloor.purchasing.models import PurchaseOrder
from shopfloor.resources import services as resources_services
from shopfloor.resources.tests.factories import (
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_tenant(tenant):
    yield


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_forecast_pages_list_create_and_edit(web):
    plant, item = PlantFactory(), ItemFactory(number="PUMP-7")
    ForecastFactory(item=ItemFactory(number="VALVE-2"))
    page = web.get(reverse("planning:forecast-list"))
    assert page.status_code == 200 and "VALVE-2" in page.content.decode()
    body = {"plant": plant.pk, "item": item.pk, "period_start": "2027-04-01", "quantity": "12", "notes": ""}
    assert web.post(reverse("planning:forecast-create"), body).status_code == 302
    forecast = Forecast.objects.get(item=item)
    again = web.post(reverse("planning:forecast-create"), body)
    assert again.status_code == 200 and "already has a forecast" in again.content.decode()
    edit = web.post(reverse("planning:forecast-edit", args=[forecast.pk]), {**body, "quantity": "15"})
    assert edit.status_code == 302
    forecast.refresh_from_db()
    assert forecast.quantity == Decimal("15")
    assert "Remove this forecast" in web.get(reverse("planning:forecast-edit", args=[forecast.pk])).content.decode()
    assert web.post(reverse("planning:forecast-delete", args=[forecast.pk])).status_code == 302
    assert not Forecast.objects.filter(pk=forecast.pk).exists()


def test_run_mrp_from_the_page_queues_a_run_and_shows_it(web, django_capture_on_commit_callbacks):
    plant = PlantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        answer = web.post(reverse("planning:mrp-run-create"), {"plant": plant.pk, "horizon_days": 30})
    run = MrpRun.objects.get()
    assert answer["Location"] == reverse("planning:mrp-run-detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == MrpRun.Status.DONE  # eager Celery ran it after commit
    detail = web.get(reverse("planning:mrp-run-detail", args=[run.pk]))
    assert detail.status_code == 200 and "Results by item" in detail.content.decode()
    MrpRun.objects.filter(pk=run.pk).update(stats={"items": 3, "seconds": 0.5, "levels": {"0": 1}})
    assert "Items planned" in web.get(reverse("planning:mrp-run-detail", args=[run.pk])).content.decode()
    listing = web.get(reverse("planning:mrp-run-list")).content.decode()
    assert f"Run {run.pk}" in listing and "Run MRP" in listing


def test_run_detail_polls_while_running_and_stops_when_done(web):
    running = MrpRunFactory(status=MrpRun.Status.RUNNING, progress=40, message="Exploding level 2")
    page = web.get(reverse("planning:mrp-run-detail", args=[running.pk])).content.decode()
    assert "hx-trigger" in page and "Exploding level 2" in page
    status_url = reverse("planning:mrp-run-status", args=[running.pk])
    MrpRun.objects.filter(pk=running.pk).update(status=MrpRun.Status.FAILED, error="Cyclic BOM: A -> B -> A")
    ended = web.get(status_url + "?was=active")
    assert ended["HX-Refresh"] == "true"
    assert "hx-trigger" not in ended.content.decode() and "Cyclic BOM: A -&gt; B -&gt; A" in ended.content.decode()


def test_items_page_filters_and_item_page_shows_pegging_both_ways(web):
    run = MrpRunFactory()
    bracket = ItemFactory(number="BRACKET", make_or_buy="make")
    steel = ItemFactory(number="STEEL", make_or_buy="buy")
    MrpItemResultFactory(run=run, item=bracket)
    MrpItemResultFactory(run=run, item=steel, low_level_code=1)
    MrpExceptionFactory(run=run, item=steel, kind="expedite", message="Expedite PO line")
    parent = PlannedOrderFactory(run=run, item=bracket, quantity=Decimal("10"))
    child = PlannedOrderFactory(run=run, item=steel, kind=PlannedOrder.Kind.BUY, quantity=Decimal("20"))
    forecast = ForecastFactory(item=bracket, plant=run.plant, period_start=dt.date(2027, 5, 3))
    PeggingFactory(planned_order=parent, forecast=forecast)
    PeggingFactory(
        planned_order=child, demand_kind=Pegging.DemandKind.PLANNED_ORDER, parent_planned_order=parent, quantity=20
    )
    items_url = reverse("planning:mrp-items", args=[run.pk])
    assert "BRACKET" in web.get(items_url).content.decode()
    only_exceptions = web.get(items_url, {"exceptions": "1"}).content.decode()
    assert 'data-item="STEEL"' in only_exceptions and 'data-item="BRACKET"' not in only_exceptions
    assert 'data-item="STEEL"' not in web.get(items_url, {"make_or_buy": "make"}).content.decode()
    page = web.get(reverse("planning:mrp-item", args=[run.pk, bracket.pk])).content.decode()
    assert "of the period from May 3, 2027" in page  # down: the forecast it serves
    assert f'data-child="{child.pk}"' in page and "of STEEL" in page  # up: the order it caused
    child_page = web.get(reverse("planning:mrp-item", args=[run.pk, steel.pk])).content.decode()
    assert "parent" in child_page and "planned order of BRACKET" in child_page
    assert "Expedite PO line" in child_page
    exceptions = web.get(reverse("planning:mrp-exceptions", args=[run.pk]), {"kind": "expedite"}).content.decode()
    assert "Expedite PO line" in exceptions


def test_firm_selected_from_the_page(web):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    buy = PlannedOrderFactory(run=run, kind=PlannedOrder.Kind.BUY)
    supplier = SupplierFactory()
    page = web.get(reverse("planning:mrp-planned-orders", args=[run.pk])).content.decode()
    assert "Firm selected" in page and "Supplier for planned purchase orders" in page
    answer = web.post(
        reverse("planning:mrp-firm", args=[run.pk]), {"ids": [make.pk, buy.pk], "supplier": supplier.pk}, follow=True
    )
    wo, po = WorkOrder.objects.get(), PurchaseOrder.objects.get()
    text = answer.content.decode()
    assert f"Firmed 2 planned order(s): {wo.number}, {po.number}" in text
    assert f"data-work-order>{wo.number}" in text
    # Firming twice is refused with a message, nothing new written.
    again = web.post(reverse("planning:mrp-firm", args=[run.pk]), {"ids": [make.pk]}, follow=True)
    assert "already firmed" in again.content.decode() and WorkOrder.objects.count() == 1


def test_a_viewer_sees_the_runs_but_cannot_firm(org, web):
    run = MrpRunFactory()
    order = PlannedOrderFactory(run=run)
    viewer = Client()
    viewer.force_login(member(org, ["*.view_*"]))
    page = viewer.get(reverse("planning:mrp-planned-orders", args=[run.pk])).content.decode()
    assert "Firm selected" not in page
    assert viewer.post(reverse("planning:mrp-firm", args=[run.pk]), {"ids": [order.pk]}).status_code == 403


def test_capacity_page_marks_overloaded_buckets(web, admin_user):
    plant = PlantFactory()
    wc = WorkCenterFactory(plant=plant, code="WELD")
    ShiftPatternFactory(calendar=wc.calendar, weekday=0, start_time=dt.time(7), end_time=dt.time(9), break_minutes=0)
    MachineFactory(work_center=wc, code="W1")
    monday = dt.date(2027, 3, 1)
    # A planned work order of the plan in force loads 1 h setup + 2 x 1 h on a Monday of 2 working hours.
    item = ItemFactory()
    routing = RoutingFactory(item=item, operations=0)
    OperationFactory(routing=routing, work_center=wc, setup_time_minutes=60, run_time_per_unit_minutes=60)
    resources_services.release_routing(actor=admin_user, routing=routing)
    PlannedOrderFactory(run=MrpRunFactory(plant=plant), item=item, quantity=2, start_date=monday, due_date=monday)
    page = web.get(
        reverse("planning:capacity"),
        {"plant": plant.pk, "mode": "rough_cut", "bucket": "day", "date_from": "2027-03-01", "date_to": "2027-03-02"},
    ).content.decode()
    assert 'data-bucket="2027-03-01" data-overloaded title="Overloaded">⚠ 3.00 / 2.00' in page
    assert 'data-bucket="2027-03-02">0.00 / 0.00' in page
    assert "<svg" in page and 'class="load overloaded"' in page
    bad = web.get(reverse("planning:capacity"), {"plant": plant.pk, "date_from": "2027-03-05", "date_to": "2027-03-01"})
    assert bad.status_code == 200 and "The last day is before the first day." in bad.content.decode()


def test_result_pages_do_not_query_per_row(web):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = MrpRunFactory()

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            item = ItemFactory()
            MrpItemResultFactory(run=run, item=item)
            order = PlannedOrderFactory(run=run, item=item, supplier=SupplierFactory(), kind=PlannedOrder.Kind.BUY)
            PeggingFactory(planned_order=order)
            MrpExceptionFactory(run=run, item=item)

    urls = [
        reverse(name, args=[run.pk])
        for name in ("planning:mrp-items", "planning:mrp-planned-orders", "planning:mrp-exceptions")
    ]
    add(2)
    few = [count(url) for url in urls]
    add(6)
    assert [count(url) for url in urls] == few


def test_item_page_does_not_query_per_planned_order(web):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = MrpRunFactory()
    item = ItemFactory()
    MrpItemResultFactory(run=run, item=item)
    url = reverse("planning:mrp-item", args=[run.pk, item.pk])

    def add(n):
        for _ in range(n):
            order = PlannedOrderFactory(run=run, item=item)
            PeggingFactory(planned_order=order, forecast=ForecastFactory(plant=run.plant))
            PeggingFactory(demand_kind=Pegging.DemandKind.PLANNED_ORDER, parent_planned_order=order)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(1)
    few = count()
    add(5)
    assert count() == few
