"""Correctness under load, on SQLite and PostgreSQL: real threads, each with its own connection.

The suite runs 20 writers x 50 moves; the issue's full size (20 x 1,000) is
`INVENTORY_STRESS_MOVES=1000 pytest shopfloor/inventory/tests/test_concurrency.py`.
"""

from __future__ import annotations

import os
import random
import threading
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.tests.factories import OrganizationFactory, PlantFactory, member
from shopfloor.core.tests.support import run_in_threads
from shopfloor.inventory import selectors, services
from shopfloor.inventory.models import Location, Reservation, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 20
MOVES = int(os.environ.get("INVENTORY_STRESS_MOVES", "50"))


@pytest.fixture
def world():
    org = OrganizationFactory(slug="stress")
    user = member(org, ["*"], username="stress")
    with tenancy.use(org, user):
        plant = PlantFactory()
        services.ensure_virtual_locations(plant)
        shelves = [LocationFactory(plant=plant, code=f"S{i}") for i in range(3)]
        floor = LocationFactory(plant=plant, code="FLOOR", allow_negative=True)
        plain = [ItemFactory(number=f"HOT-{i}") for i in range(2)]
        tracked = ItemFactory(number="HOT-LOT", tracking="lot")
        lot = LotFactory(item=tracked, number="L1")
        for item, item_lot in [(plain[0], None), (plain[1], None), (tracked, lot)]:
            for shelf in shelves:
                services.receive(actor=user, item=item, quantity="20", location=shelf, lot=item_lot)
    return {
        "org": org,
        "user": user,
        "shelves": shelves,
        "floor": floor,
        "items": [(plain[0], None), (plain[1], None), (tracked, lot)],
    }


def _one_move(rng: random.Random, world: dict, key: str) -> None:
    user, shelves, floor = world["user"], world["shelves"], world["floor"]
    item, lot = rng.choice(world["items"])
    quantity = Decimal(rng.randint(1, 6))
    roll = rng.random()
    common = {"actor": user, "item": item, "lot": lot, "idempotency_key": key}
    if roll < 0.45:
        source, target = rng.sample([*shelves, floor], 2)
        services.transfer(quantity=quantity, source=source, target=target, **common)
    elif roll < 0.65:
        services.issue(quantity=quantity, location=rng.choice([*shelves, floor]), **common)
    elif roll < 0.85:
        services.receive(quantity=quantity, location=rng.choice(shelves), **common)
    else:
        signed = quantity if rng.random() < 0.5 else -quantity
        services.adjust(quantity=signed, location=rng.choice(shelves), reason_code="stress", **common)


def test_concurrent_writers_never_lose_or_double_a_move(world):
    def writer(i: int) -> tuple[list[str], list[str]]:
        rng = random.Random(i)
        posted, refused = [], []
        with tenancy.use(world["org"], world["user"]):
            for j in range(MOVES):
                key = f"w{i}-{j}"
                try:
                    _one_move(rng, world, key)
                    posted.append(key)
                except Conflict:
                    refused.append(key)
        return posted, refused

    outcomes = run_in_threads(WRITERS, writer, timeout=3600)
    posted = [k for p, _ in outcomes for k in p]
    refused = [k for _, r in outcomes for k in r]
    assert len(posted) + len(refused) == WRITERS * MOVES
    assert refused, "the load should run some locations dry (otherwise refusal is untested)"
    assert posted

    with tenancy.use(world["org"]):
        # Every accepted move is in the ledger exactly once; every refused one left no row.
        keys = set(StockMove.objects.exclude(idempotency_key="").values_list("idempotency_key", flat=True))
        assert keys == set(posted)
        assert StockMove.objects.filter(idempotency_key__in=refused).count() == 0
        # Every balance equals the sum of its ledger, and nothing is negative where forbidden.
        books = {(b.item_id, b.location_id, b.lot_id): b for b in StockBalance.objects.all()}
        ledger = selectors.ledger_sums()
        assert {k: v for k, v in ((k, b.on_hand) for k, b in books.items()) if v != 0} == ledger
        for balance in books.values():
            assert balance.reserved == 0
            if not balance.location.allow_negative:
                assert balance.on_hand >= 0, balance
        assert not StockBalance.objects.filter(location__location_type__in=Location.VIRTUAL_TYPES).exists()


def test_two_reservations_for_the_last_units_exactly_one_succeeds(world):
    item, _ = world["items"][0]
    shelf = world["shelves"][0]
    outcomes = []
    lock = threading.Lock()

    def reserve(i: int) -> None:
        with tenancy.use(world["org"], world["user"]):
            try:
                services.reserve(actor=world["user"], item=item, location=shelf, quantity="15")
                result = "ok"
            except Conflict:
                result = "refused"
        with lock:
            outcomes.append(result)

    run_in_threads(2, reserve)
    assert sorted(outcomes) == ["ok", "refused"]
    with tenancy.use(world["org"]):
        assert Reservation.objects.count() == 1
        assert StockBalance.objects.get(item=item, location=shelf, lot=None).reserved == Decimal(15)


def test_a_reservation_and_an_issue_racing_for_the_last_units_never_overcommit(world):
    item, _ = world["items"][1]
    shelf = world["shelves"][1]
    results: dict[int, str] = {}

    def act(i: int) -> None:
        with tenancy.use(world["org"], world["user"]):
            try:
                if i == 0:
                    services.reserve(actor=world["user"], item=item, location=shelf, quantity="20")
                else:
                    services.issue(actor=world["user"], item=item, location=shelf, quantity="20")
                results[i] = "ok"
            except Conflict:
                results[i] = "refused"

    run_in_threads(2, act)
    assert sorted(results.values()) == ["ok", "refused"]
    with tenancy.use(world["org"]):
        balance = StockBalance.objects.get(item=item, location=shelf, lot=None)
        assert balance.on_hand >= balance.reserved >= 0


def test_a_retried_request_with_the_same_idempotency_key_writes_once(world):
    item, _ = world["items"][0]
    shelf = world["shelves"][2]
    body = {"item": item.pk, "location": shelf.pk, "quantity": "4"}
    statuses = []

    def post(i: int) -> None:
        client = APIClient()
        client.force_authenticate(world["user"])
        response = client.post("/api/v1/inventory/moves/receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-7")
        statuses.append(response.status_code)

    run_in_threads(4, post)  # a client retrying while the first attempt is still in flight
    client = APIClient()
    client.force_authenticate(world["user"])
    again = client.post("/api/v1/inventory/moves/receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-7")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    with tenancy.use(world["org"]):
        assert StockMove.objects.filter(to_location=shelf, item=item, kind="receive").count() == 2  # set-up + once
        assert StockBalance.objects.get(item=item, location=shelf, lot=None).on_hand == Decimal(24)
