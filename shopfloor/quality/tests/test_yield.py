"""First-pass and rolled throughput yield from completed operations, with real figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.production.models import Operation, WorkOrder
from shopfloor.quality import yields
from shopfloor.resources.tests.factories import WorkCenterFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 10, 12, tzinfo=UTC)


def _order(item, kind=WorkOrder.Kind.PRODUCTION) -> WorkOrder:
    return WorkOrder.objects.create(
        plant=PlantFactory(),
        item=item,
        unit=item.stock_unit,
        quantity=Decimal(100),
        due_date=WHEN.date(),
        number=f"WO-{kind}",
        kind=kind,
    )


def _op(order, sequence, work_center, good, scrap) -> Operation:
    return Operation.objects.create(
        work_order=order,
        sequence=sequence,
        description=f"Step {sequence}",
        work_center=work_center,
        status="completed",
        good_quantity=Decimal(good),
        scrap_quantity=Decimal(scrap),
        completed_at=WHEN,
    )


def test_fpy_per_operation_and_rty_per_item(tenant):
    item = ItemFactory(number="SHAFT-1")
    lathe, grinder = WorkCenterFactory(code="LATHE"), WorkCenterFactory(code="GRIND")
    order = _order(item)
    _op(order, 10, lathe, 95, 5)  # 95 / 100
    _op(order, 20, grinder, 90, 5)  # 90 / 95
    _op(_order(item, WorkOrder.Kind.REPAIR), 10, lathe, 4, 1)  # rework: never first-pass

    per_op = yields.yield_rows(group="operation", period="month")
    assert [(r["sequence"], r["good"], r["scrap"], round(r["fpy"], 4)) for r in per_op] == [
        (10, "95", "5", 0.95),
        (20, "90", "5", 0.9474),
    ]
    (per_item,) = yields.yield_rows(group="item", period="month")
    assert per_item["period"] == "2026-11-01"
    assert per_item["rty"] == pytest.approx(0.95 * 90 / 95)
    assert per_item["fpy"] == pytest.approx(185 / 195)
    per_wc = {r["work_center"]: round(r["fpy"], 4) for r in yields.yield_rows(group="work_center", period="week")}
    assert per_wc == {"LATHE": 0.95, "GRIND": 0.9474}
    with pytest.raises(ValueError, match="group"):
        yields.yield_rows(group="shift")


def test_yield_over_the_api(api, org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        item = ItemFactory(number="SHAFT-2")
        order = _order(item)
        _op(order, 10, WorkCenterFactory(code="LATHE"), 95, 5)
        _op(order, 20, WorkCenterFactory(code="GRIND"), 90, 5)
    response = api.get("/api/v1/quality/yield/", {"group": "item", "period": "month", "from": "2026-11-01"})
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert (row["item"], row["good"], row["scrap"]) == ("SHAFT-2", "185", "10")
    assert row["rty"] == pytest.approx(0.9)
    assert api.get("/api/v1/quality/yield/", {"to": "2026-10-31"}).json()["results"] == []
    bad = api.get("/api/v1/quality/yield/", {"group": "shift", "from": "yesterday"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"group", "from"}


def test_dashboard_shows_the_yield_trend(admin_user, org):
    from django.test import Client

    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        order = _order(ItemFactory(number="SHAFT-3"))
        _op(order, 10, WorkCenterFactory(code="LATHE"), 95, 5)
        _op(order, 20, WorkCenterFactory(code="GRIND"), 90, 5)
    client = Client()
    client.force_login(admin_user)
    page = client.get("/quality/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-item="SHAFT-3"' in html and "2026-11-01: 0.949" in html and "<td>0.900</td>" in html
