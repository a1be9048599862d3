"""Production API beyond CRUD: lifecycle actions, job cards, material, output, idempotency and
clean refusals (400/409, never a 500, nothing half-posted). CRUD, permissions and tenancy come
from the shared contract suite."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.inventory.models import Lot, SerialNumber, StockMove
from shopfloor.production.models import MaterialIssue, WorkOrder, WorkOrderOutput
from shopfloor.production.tests.factories import released_order, run_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_tenant(tenant):
    """The test body reads rows of `org` (the requests set their own tenancy)."""
    yield


D = Decimal
BASE = "/api/v1/production"


@pytest.fixture
def order(org, admin_user):
    with tenancy.use(org, admin_user):
        return released_order(quantity=10, stock=50)


def test_job_card_actions_run_an_operation(api, order):
    op = order.operations.order_by("sequence").first()
    machine = op.eligible_machines.first()
    response = api.post(f"{BASE}/operations/{op.pk}/start/", {"machine": machine.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert response.json()["machine_code"] == machine.code
    assert api.post(f"{BASE}/operations/{op.pk}/pause/", {}, format="json").json()["status"] == "paused"
    assert api.post(f"{BASE}/operations/{op.pk}/resume/", {}, format="json").json()["status"] == "in_progress"
    done = api.post(
        f"{BASE}/operations/{op.pk}/complete/",
        {"good_quantity": "9", "scrap_quantity": "1", "scrap_reason": "setup"},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["good_quantity"] == "9.000000"
    entries = api.get(f"{BASE}/time-entries/", {"operation": op.pk}).json()["results"]
    assert len(entries) == 4
    wo = api.get(f"{BASE}/work-orders/{order.pk}/").json()
    assert wo["status"] == "in_progress"
    assert wo["progress"] == 50


def test_completing_more_than_received_is_a_400_naming_the_field(api, order):
    op = order.operations.order_by("sequence").first()
    api.post(f"{BASE}/operations/{op.pk}/start/", {}, format="json")
    response = api.post(f"{BASE}/operations/{op.pk}/complete/", {"good_quantity": "11"}, format="json")
    assert response.status_code == 400
    assert "good_quantity" in response.json()["errors"]
    assert api.get(f"{BASE}/operations/{op.pk}/").json()["status"] == "in_progress"


def test_issue_and_return_with_fefo_pick_list(api, order):
    pick = api.get(f"{BASE}/work-orders/{order.pk}/pick-list/").json()
    (line,) = pick
    assert line["open_quantity"] == "20.000000"
    (suggestion,) = line["suggestions"]
    body = {
        "material": line["material"],
        "quantity": "20",
        "location": suggestion["location"],
        "lot": suggestion["lot"],
    }
    response = api.post(f"{BASE}/work-orders/{order.pk}/issue/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "issue"
    back = api.post(f"{BASE}/work-orders/{order.pk}/return-material/", {**body, "quantity": "3"}, format="json")
    assert back.status_code == 201, back.content
    assert back.json()["kind"] == "return"
    assert api.get(f"{BASE}/materials/{line['material']}/").json()["issued_quantity"] == "17.000000"


def test_issue_from_an_empty_location_is_a_409_and_posts_nothing(api, order, org, admin_user):
    line = order.materials.get()
    with tenancy.use(org, admin_user):
        from shopfloor.inventory.tests.factories import LocationFactory

        empty = LocationFactory(plant=order.plant, code="EMPTY")
        lot = Lot.objects.get(item=line.component)
    moves = StockMove.objects.unscoped().count()
    response = api.post(
        f"{BASE}/work-orders/{order.pk}/issue/",
        {"material": line.pk, "quantity": "1", "location": empty.pk, "lot": lot.pk},
        format="json",
    )
    assert response.status_code == 409
    assert StockMove.objects.unscoped().count() == moves
    assert not MaterialIssue.objects.unscoped().exists()


def test_issue_with_a_wrong_lot_is_a_400(api, order, org, admin_user):
    with tenancy.use(org, admin_user):
        from shopfloor.inventory.tests.factories import LotFactory

        wrong = LotFactory()
    line = order.materials.get()
    response = api.post(
        f"{BASE}/work-orders/{order.pk}/issue/",
        {"material": line.pk, "quantity": "1", "location": order.issue_location_id, "lot": wrong.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "lot" in response.json()["errors"]


def test_output_with_idempotency_key_receives_once(api, order, org, admin_user):
    with tenancy.use(org, admin_user):
        run_order(order)
    headers = {"HTTP_IDEMPOTENCY_KEY": "out-1"}
    first = api.post(f"{BASE}/work-orders/{order.pk}/output/", {"quantity": "10"}, format="json", **headers)
    assert first.status_code == 201, first.content
    again = api.post(f"{BASE}/work-orders/{order.pk}/output/", {"quantity": "10"}, format="json", **headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert WorkOrderOutput.objects.unscoped().filter(work_order=order).count() == 1
    lot_number = first.json()[0]["lot_number"]
    assert lot_number == f"L-{order.number.replace('-', '')}-01"
    trace = api.get(f"{BASE}/genealogy-links/trace/", {"lot": first.json()[0]["lot"]}).json()
    assert [row["lot_number"] for row in trace] == [
        Lot.objects.unscoped().get(item=order.materials.get().component).number
    ]


def test_receiving_an_existing_serial_is_a_409(api, org, admin_user):
    with tenancy.use(org, admin_user):
        wo = run_order(released_order(quantity=2, product_tracking="serial"))
        SerialNumber.objects.create(item=wo.item, serial="SN-DUP")
    response = api.post(f"{BASE}/work-orders/{wo.pk}/output/", {"quantity": "1", "serials": ["SN-DUP"]}, format="json")
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert not WorkOrderOutput.objects.unscoped().filter(work_order=wo).exists()


def test_a_guard_refusing_completion_is_a_409_with_the_reason(api, order):
    response = api.post(f"{BASE}/work-orders/{order.pk}/complete/", {}, format="json")
    assert response.status_code == 409  # released -> completed is not a step at all
    op = order.operations.order_by("sequence").first()
    api.post(f"{BASE}/operations/{op.pk}/start/", {}, format="json")
    response = api.post(f"{BASE}/work-orders/{order.pk}/complete/", {}, format="json")
    assert response.status_code == 409
    assert "not completed" in response.json()["detail"]
    assert WorkOrder.objects.unscoped().get(pk=order.pk).status == "in_progress"


def test_create_release_and_list_with_late_filter(api, org, admin_user):
    with tenancy.use(org, admin_user):
        wo = released_order()
    body = {"item": wo.item_id, "plant": wo.plant_id, "quantity": "3", "due_date": "2020-01-01"}
    created = api.post(f"{BASE}/work-orders/", body, format="json")
    assert created.status_code == 201, created.content
    new = created.json()
    assert new["status"] == "draft" and new["number"].startswith("WO-")
    assert api.post(f"{BASE}/work-orders/{new['id']}/plan/", {}, format="json").status_code == 200
    released = api.post(f"{BASE}/work-orders/{new['id']}/release/", {}, format="json")
    assert released.status_code == 200, released.content
    assert released.json()["operations_total"] == 2
    late = api.get(f"{BASE}/work-orders/", {"late": "true"}).json()["results"]
    assert [row["number"] for row in late] == [new["number"]]
    assert late[0]["is_late"] is True


def test_technician_runs_job_cards_but_cannot_release(api_for, order, org):
    tech = member(
        org,
        [
            "*.view_*",
            "production.change_operation",
            "production.add_timeentry",
            "production.add_materialissue",
            "inventory.add_stockmove",
        ],
    )
    client = api_for(tech)
    op = order.operations.order_by("sequence").first()
    assert client.post(f"{BASE}/operations/{op.pk}/start/", {}, format="json").status_code == 200
    assert client.post(f"{BASE}/work-orders/{order.pk}/hold/", {"comment": "x"}, format="json").status_code == 403


def test_cost_endpoint(api, order):
    body = api.get(f"{BASE}/work-orders/{order.pk}/cost/").json()
    assert body["planned"]["material"] == "250.000000"
    assert body["actual"]["material"] == "0.000000"
    assert body["progress"] == 0


def test_book_time_by_hand(api, order, admin_user):
    op = order.operations.order_by("sequence").first()
    body = {"kind": "labour", "started_at": "2030-01-01T08:00:00Z", "minutes": "45", "user": admin_user.pk}
    response = api.post(f"{BASE}/operations/{op.pk}/book-time/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["minutes"] == "45.0000"
    bad = api.post(f"{BASE}/operations/{op.pk}/book-time/", {**body, "minutes": "-5"}, format="json")
    assert bad.status_code == 400
    assert "minutes" in bad.json()["errors"]


def test_workflow_reads_are_plain_lists(api, order):
    for name in ("transitions", "history", "signatures", "pick-list"):
        response = api.get(f"{BASE}/work-orders/{order.pk}/{name}/")
        assert response.status_code == 200, name
        assert isinstance(response.json(), list), name
    history = api.get(f"{BASE}/work-orders/{order.pk}/history/").json()
    assert [row["to_state"] for row in history] == ["released", "planned"]  # newest first
