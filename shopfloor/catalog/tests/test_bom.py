"""Bills of materials: validation as lines are saved, release, explosion, roll-up, where-used, diff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopfloor.catalog import selectors, services
from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit
from shopfloor.core.errors import Conflict
from shopfloor.workflows import services as workflow_services


@pytest.fixture
def units(tenant, org, admin_user):
    services.install_standard_units(org, admin_user)
    return {u.code: u for u in Unit.objects.all()}


@pytest.fixture
def make(units, admin_user):
    """make.item("PUMP", unit="ea", cost="10") and make.bom(parent, [(component, qty, unit, {...})])."""

    class Maker:
        def item(self, number: str, unit: str = "ea", cost: str = "0", active: bool = True) -> Item:
            item = services.create_item(
                actor=admin_user,
                data={"number": number, "name": number.title(), "stock_unit": units[unit], "standard_cost": cost},
            )
            if active:
                workflow_services.transition(item, "active", admin_user)
            return item

        def bom(self, parent: Item, lines: list[tuple], release: bool = True) -> BomVersion:
            version = services.create_bom_version(actor=admin_user, item=parent)
            for component, quantity, unit, *extra in lines:
                data = {"component": component, "quantity": Decimal(quantity), "unit": units[unit]}
                data.update(extra[0] if extra else {})
                services.save_bom_line(actor=admin_user, version=version, data=data)
            if release:
                services.release_bom_version(actor=admin_user, version=version)
            version.refresh_from_db()
            return version

    return Maker()


def by_number(rows):
    return {row.number: row for row in rows}


def test_explosion_extends_quantities_with_scrap_and_an_exact_unit_conversion(make):
    pump = make.item("PUMP")
    housing = make.item("HOUSING")
    bar = make.item("BAR-4140", unit="m")
    screw = make.item("SCREW")
    make.bom(housing, [(bar, "250", "mm")])  # 250 mm of a bar stocked in metres
    make.bom(pump, [(housing, "2", "ea", {"scrap_factor": Decimal("0.2")}), (screw, "3", "ea")])

    rows = selectors.explode(pump, quantity=3)

    assert [(r.level, r.path, r.number) for r in rows] == [
        (1, "1", "HOUSING"),
        (2, "1.1", "BAR-4140"),
        (1, "2", "SCREW"),
    ]
    found = by_number(rows)
    assert found["HOUSING"].extended == Decimal("7.5")  # 2 x 3 / (1 - 0.2)
    assert found["BAR-4140"].extended == Decimal("1.875")  # 0.25 m x 7.5, exactly
    assert found["BAR-4140"].as_dict()["extended_quantity"] == "1.875000"
    assert found["BAR-4140"].stock_unit == "m"
    assert found["SCREW"].extended == 9


def test_a_phantom_is_exploded_through_and_not_itself_a_requirement(make):
    cart = make.item("CART")
    kit = make.item("WHEEL-KIT")
    wheel = make.item("WHEEL")
    make.bom(kit, [(wheel, "4", "ea")])
    make.bom(cart, [(kit, "1", "ea", {"is_phantom": True})])

    rows = by_number(selectors.explode(cart, quantity=2))
    assert rows["WHEEL-KIT"].requirement is False
    assert rows["WHEEL"].extended == 8
    assert selectors.requirements(cart, quantity=2) == {wheel.pk: 8}


def test_effectivity_dates_choose_the_lines_of_the_day(make):
    valve = make.item("VALVE")
    old_seal = make.item("SEAL-NBR")
    new_seal = make.item("SEAL-FKM")
    make.bom(
        valve,
        [
            (old_seal, "1", "ea", {"effective_to": date(2026, 6, 30)}),
            (new_seal, "1", "ea", {"effective_from": date(2026, 7, 1)}),
        ],
    )
    assert [r.number for r in selectors.explode(valve, on=date(2026, 6, 30))] == ["SEAL-NBR"]
    assert [r.number for r in selectors.explode(valve, on=date(2026, 7, 1))] == ["SEAL-FKM"]
    assert len(selectors.explode(valve)) == 2


def test_a_cycle_is_refused_even_deep_below(make, admin_user, units):
    a, b, c, d = (make.item(n) for n in ("A", "B", "C", "D"))
    make.bom(c, [(d, "1", "ea")])
    make.bom(b, [(c, "1", "ea")])
    make.bom(a, [(b, "1", "ea")])

    draft = services.create_bom_version(actor=admin_user, item=d)
    with pytest.raises(ValidationError) as exc:
        services.save_bom_line(
            actor=admin_user, version=draft, data={"component": a, "quantity": 1, "unit": units["ea"]}
        )
    assert "cycle" in exc.value.message_dict["component"][0]
    with pytest.raises(ValidationError, match="itself"):
        services.save_bom_line(
            actor=admin_user, version=draft, data={"component": d, "quantity": 1, "unit": units["ea"]}
        )
    assert not BomLine.objects.filter(version=draft).exists()


def test_a_cycle_closed_by_a_later_release_is_refused_at_release(make, admin_user, units):
    a, b = make.item("A"), make.item("B")
    draft_b = make.bom(b, [(a, "1", "ea")], release=False)  # fine while A has no BOM
    make.bom(a, [(b, "1", "ea")])  # A -> B released
    with pytest.raises(ValidationError, match="cycle"):
        services.release_bom_version(actor=admin_user, version=draft_b)
    assert BomVersion.objects.get(pk=draft_b.pk).status == "draft"


def test_lines_are_validated_as_they_are_added(make, admin_user, units):
    board = make.item("BOARD")
    cap = make.item("CAP-10UF")
    draft = services.create_bom_version(actor=admin_user, item=board)

    def add(**data):
        return services.save_bom_line(
            actor=admin_user, version=draft, data={"component": cap, "unit": units["ea"], "quantity": 2, **data}
        )

    with pytest.raises(ValidationError) as exc:
        add(unit=units["kg"])
    assert "no conversion" in exc.value.message_dict["unit"][0]
    with pytest.raises(ValidationError) as exc:
        add(reference_designators="C1, C2, C3")
    assert "must match" in exc.value.message_dict["reference_designators"][0]
    with pytest.raises(ValidationError) as exc:
        add(quantity=Decimal("0"))
    assert "quantity" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        add(scrap_factor=Decimal("1"))
    assert "scrap_factor" in exc.value.message_dict
    line = add(reference_designators="C1, C2")
    assert line.position == 10
    assert (
        add(quantity=1, unit=units["dz"], reference_designators=" ".join(f"C{i}" for i in range(3, 15))).position == 20
    )


def test_release_needs_active_components(make, admin_user):
    gearbox = make.item("GEARBOX")
    shaft = make.item("SHAFT", active=False)
    draft = make.bom(gearbox, [(shaft, "1", "ea")], release=False)
    with pytest.raises(ValidationError, match="only active items"):
        services.release_bom_version(actor=admin_user, version=draft)
    workflow_services.transition(shaft, "active", admin_user)
    assert services.release_bom_version(actor=admin_user, version=draft).status == "released"


def test_releasing_a_version_makes_the_previous_one_obsolete(make, admin_user, api):
    motor = make.item("MOTOR")
    rotor = make.item("ROTOR")
    first = make.bom(motor, [(rotor, "1", "ea")])
    second = services.copy_bom_version(actor=admin_user, version=first)
    assert (second.version, second.status, second.lines.count()) == (2, "draft", 1)
    services.save_bom_line(actor=admin_user, version=second, data={"quantity": Decimal("2")}, line=second.lines.get())

    response = api.post(f"/api/v1/catalog/bom-versions/{second.pk}/release/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "released"
    assert BomVersion.objects.get(pk=first.pk).status == "obsolete"
    assert list(BomVersion.objects.filter(item=motor, status="released")) == [second]

    # The generic workflow route cannot release a second one beside it: 409 with the reason.
    third = services.copy_bom_version(actor=admin_user, version=second)
    response = api.post(f"/api/v1/catalog/bom-versions/{third.pk}/transition/", {"to_state": "released"}, format="json")
    assert response.status_code == 409
    assert "release" in response.json()["detail"]
    assert BomVersion.objects.filter(item=motor, status="released").count() == 1


def test_a_released_version_is_immutable_over_the_api(make, api, units):
    frame = make.item("FRAME")
    tube = make.item("TUBE", unit="m")
    released = make.bom(frame, [(tube, "1.2", "m")])
    line = released.lines.get()
    url = "/api/v1/catalog"

    assert api.patch(f"{url}/bom-versions/{released.pk}/", {"notes": "x"}, format="json").status_code == 409
    assert api.delete(f"{url}/bom-versions/{released.pk}/").status_code == 409
    assert api.patch(f"{url}/bom-lines/{line.pk}/", {"quantity": "2"}, format="json").status_code == 409
    assert api.delete(f"{url}/bom-lines/{line.pk}/").status_code == 409
    body = {"version": released.pk, "component": tube.pk, "unit": units["mm"].pk, "quantity": "5"}
    response = api.post(f"{url}/bom-lines/", body, format="json")
    assert response.status_code == 409, response.content
    assert BomLine.objects.filter(version=released).count() == 1
    assert BomLine.objects.get(pk=line.pk).quantity == Decimal("1.2")


def test_services_refuse_changes_to_released_and_obsolete_versions(make, admin_user, units):
    frame = make.item("FRAME")
    tube = make.item("TUBE", unit="m")
    first = make.bom(frame, [(tube, "1", "m")])
    services.release_bom_version(actor=admin_user, version=services.copy_bom_version(actor=admin_user, version=first))
    first.refresh_from_db()
    assert first.status == "obsolete"
    for version in (first, BomVersion.objects.get(item=frame, status="released")):
        with pytest.raises(Conflict, match="only drafts change"):
            services.save_bom_line(
                actor=admin_user, version=version, data={"component": tube, "quantity": 2, "unit": units["m"]}
            )
        with pytest.raises(Conflict):
            services.delete_bom_line(actor=admin_user, line=version.lines.first())
        with pytest.raises(Conflict):
            services.release_bom_version(actor=admin_user, version=version)


def test_the_api_shows_a_line_error_on_its_field(make, api, admin_user, units):
    board = make.item("BOARD")
    resistor = make.item("RES-1K")
    draft = services.create_bom_version(actor=admin_user, item=board)
    body = {"version": draft.pk, "component": resistor.pk, "unit": units["l"].pk, "quantity": "1"}
    response = api.post("/api/v1/catalog/bom-lines/", body, format="json")
    assert response.status_code == 400
    assert "unit" in response.json()["errors"]


def test_where_used_single_level_and_all_levels(make, api):
    bolt = make.item("BOLT")
    flange = make.item("FLANGE")
    spool = make.item("SPOOL")
    skid = make.item("SKID")
    make.bom(flange, [(bolt, "8", "ea")])
    make.bom(spool, [(flange, "2", "ea")])
    make.bom(skid, [(spool, "3", "ea"), (bolt, "4", "ea")])

    single = selectors.where_used(bolt)
    assert sorted(r["number"] for r in single) == ["FLANGE", "SKID"]
    rows = selectors.where_used(bolt, all_levels=True)
    assert [(r["level"], r["number"], r["via"]) for r in rows] == [
        (1, "FLANGE", "BOLT"),
        (1, "SKID", "BOLT"),
        (2, "SPOOL", "FLANGE"),
        (3, "SKID", "SPOOL"),
    ]
    response = api.get(f"/api/v1/catalog/items/{bolt.pk}/where-used/", {"levels": "all"})
    assert response.status_code == 200
    assert len(response.json()) == 4


def test_costed_rollup_sums_leaves_per_level_and_ignores_a_made_items_own_cost(make, api):
    pump = make.item("PUMP", cost="999")
    housing = make.item("HOUSING", cost="500")  # has a released BOM: costed from its components
    bar = make.item("BAR", unit="m", cost="40")
    screw = make.item("SCREW", cost="0.125")
    make.bom(housing, [(bar, "250", "mm", {"scrap_factor": Decimal("0.2")})])
    version = make.bom(pump, [(housing, "2", "ea"), (screw, "4", "ea")])

    result = selectors.rollup(pump, quantity=2)
    # Bar: 0.25 m x 4 housings / 0.8 = 1.25 m x 40 = 50; screws 8 x 0.125 = 1.
    assert result.total == 51
    assert result.per_level == {1: 1, 2: 50}
    costs = {row["number"]: row["cost"] for row in result.rows}
    assert costs == {"HOUSING": "50.000000", "BAR": "50.000000", "SCREW": "1.000000"}
    data = api.get(f"/api/v1/catalog/bom-versions/{version.pk}/rollup/", {"quantity": "2"}).json()
    assert (data["total_cost"], data["unit_cost"]) == ("51.000000", "25.500000")
    exploded = api.get(f"/api/v1/catalog/bom-versions/{version.pk}/explode/", {"quantity": "2"}).json()
    assert [r["extended_quantity"] for r in exploded["rows"]] == ["4.000000", "1.250000", "8.000000"]


def test_diff_lists_added_removed_and_changed_lines(make, admin_user, api, units):
    lamp = make.item("LAMP")
    bulb, shade, cord, plug = (make.item(n) for n in ("BULB", "SHADE", "CORD", "PLUG"))
    old = make.bom(lamp, [(bulb, "1", "ea"), (shade, "1", "ea"), (cord, "1", "ea")])
    new = services.copy_bom_version(actor=admin_user, version=old)
    lines = {line.component_id: line for line in new.lines.all()}
    services.save_bom_line(actor=admin_user, version=new, data={"quantity": Decimal("2")}, line=lines[bulb.pk])
    services.delete_bom_line(actor=admin_user, line=lines[shade.pk])
    services.save_bom_line(actor=admin_user, version=new, data={"component": plug, "quantity": 1, "unit": units["ea"]})

    result = selectors.diff(old, new)
    assert [line["number"] for line in result["added"]] == ["PLUG"]
    assert [line["number"] for line in result["removed"]] == ["SHADE"]
    assert [(c["number"], c["changes"]) for c in result["changed"]] == [
        ("BULB", {"quantity": ["1.000000", "2.000000"]})
    ]
    assert result["unchanged"] == 1
    response = api.get(f"/api/v1/catalog/bom-versions/{new.pk}/diff/", {"other": old.pk})
    assert response.status_code == 200
    assert response.json()["changed"][0]["changes"] == {"quantity": ["1.000000", "2.000000"]}


def test_exploding_a_draft_uses_its_own_lines_and_released_ones_below(make, admin_user):
    truck = make.item("TRUCK")
    axle = make.item("AXLE")
    hub = make.item("HUB")
    make.bom(axle, [(hub, "2", "ea")])
    draft = make.bom(truck, [(axle, "3", "ea")], release=False)
    assert selectors.explode(truck) == []  # nothing released for the truck yet
    rows = by_number(selectors.explode_version(draft))
    assert rows["HUB"].extended == 6


def test_a_shared_sub_assembly_is_exploded_under_each_user_and_lines_are_read_a_level_at_a_time(make):
    cart, frame, kit = make.item("CART"), make.item("FRAME"), make.item("KIT")
    gearbox, gear = make.item("GEARBOX", cost="7"), make.item("GEAR", cost="2")
    make.bom(gearbox, [(gear, "3", "ea")])
    make.bom(frame, [(gearbox, "1", "ea")])
    make.bom(kit, [(gearbox, "2", "ea")])
    make.bom(cart, [(frame, "1", "ea"), (kit, "1", "ea")])

    with CaptureQueriesContext(connection) as narrow:
        rows = selectors.explode(cart, quantity=2)
    assert [(r.path, r.number, r.extended, r.has_bom) for r in rows] == [
        ("1", "FRAME", 2, True),
        ("1.1", "GEARBOX", 2, True),
        ("1.1.1", "GEAR", 6, False),
        ("2", "KIT", 2, True),
        ("2.1", "GEARBOX", 4, True),
        ("2.1.1", "GEAR", 12, False),
    ]
    assert selectors.requirements(cart, quantity=2)[gear.pk] == 18
    result = selectors.rollup(cart, quantity=2)
    assert result.total == 36  # 18 gears x 2; the gearbox's own cost is not counted
    assert [money for money in result.costs] == [12, 12, 12, 24, 24, 24]
    assert result.per_level == {3: 36}

    # A wider tree of the same depth costs the same number of queries: one per level, never one
    # per line or per item.
    wagon, frame2, kit2, tray, bolt = (make.item(n) for n in ("WAGON", "FRAME-2", "KIT-2", "TRAY", "BOLT"))
    make.bom(frame2, [(gearbox, "1", "ea"), (bolt, "4", "ea")])
    make.bom(kit2, [(gearbox, "1", "ea"), (bolt, "2", "ea")])
    make.bom(tray, [(bolt, "6", "ea")])
    make.bom(wagon, [(frame2, "1", "ea"), (kit2, "1", "ea"), (tray, "1", "ea")])
    with CaptureQueriesContext(connection) as wide:
        rows = selectors.explode(wagon)
    assert len(rows) == 10
    assert len(wide) == len(narrow)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_releases_of_one_items_bom_at_once_leave_exactly_one_released():
    from shopfloor.core import tenancy
    from shopfloor.core.tests.factories import OrganizationFactory, member
    from shopfloor.core.tests.support import run_in_threads

    org = OrganizationFactory(slug="race-bom")
    alice = member(org, ["*"], username="alice")
    services.install_standard_units(org, alice)
    with tenancy.use(org, alice):
        ea = Unit.objects.get(code="ea")
        parent, part = (
            services.create_item(actor=alice, data={"number": n, "name": n, "stock_unit": ea}) for n in ("ASSY", "PART")
        )
        workflow_services.transition(part, "active", alice)
        drafts = []
        for quantity in (1, 2, 3):
            version = services.create_bom_version(actor=alice, item=parent)
            services.save_bom_line(
                actor=alice, version=version, data={"component": part, "quantity": quantity, "unit": ea}
            )
            drafts.append(version)
        services.release_bom_version(actor=alice, version=drafts[0])

    def release(i: int) -> str:
        with tenancy.use(org, alice):
            version = BomVersion.objects.get(pk=drafts[i + 1].pk)
            return services.release_bom_version(actor=alice, version=version).status

    assert run_in_threads(2, release) == ["released", "released"]
    with tenancy.use(org):
        statuses = sorted(BomVersion.objects.filter(item=parent).values_list("status", flat=True))
    assert statuses == ["obsolete", "obsolete", "released"]
