"""Item and unit pages, the conversion calculator and the item-page panel registry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.catalog import panels, services
from shopfloor.catalog.models import Item, ItemUnitConversion, Unit
from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.models import CustomFieldDefinition
from shopfloor.core.tests.factories import member

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def units(org, admin_user):
    services.install_standard_units(org, admin_user)
    with tenancy.use(org, admin_user):
        return {u.code: u for u in Unit.objects.all()}


@pytest.fixture
def bit(org, admin_user, units):
    with tenancy.use(org, admin_user):
        return services.create_item(
            actor=admin_user, data={"number": "BIT-850", "name": "PDC bit 8 1/2in", "stock_unit": units["ea"]}
        )


@pytest.fixture
def panel():
    """A throw-away panel, removed again after the test."""
    registered = []

    def register(key, permission=None, order=100):
        registered.append(key)
        return panels.register_item_panel(
            key,
            f"Panel {key}",
            "catalog/_panel_rows.html",
            lambda request, item: {"rows": [("Item number", item.number), ("Viewer", request.user.username)]},
            order=order,
            permission=permission,
        )

    yield register
    for key in registered:
        panels.unregister_item_panel(key)


def body(response) -> str:
    return response.content.decode()


def test_item_and_unit_pages_render(admin, bit, units):
    for name, args in [
        ("catalog:item-list", []),
        ("catalog:item-create", []),
        ("catalog:item-detail", [bit.pk]),
        ("catalog:item-edit", [bit.pk]),
        ("catalog:unit-list", []),
        ("catalog:unit-create", []),
        ("catalog:unit-edit", [units["kg"].pk]),
        ("catalog:unitcategory-list", []),
        ("catalog:unitcategory-create", []),
        ("catalog:unit-convert", []),
    ]:
        response = admin.get(reverse(name, args=args))
        assert response.status_code == 200, name
    assert 'href="/catalog/items/"' in body(admin.get("/"))


def test_item_list_searches_and_filters(admin, org, admin_user, bit, units):
    with tenancy.use(org, admin_user):
        services.create_item(
            actor=admin_user,
            data={"number": "STEEL-4140", "name": "4140 bar", "stock_unit": units["m"], "item_type": "raw_material"},
        )
    url = reverse("catalog:item-list")
    assert "STEEL-4140" not in body(admin.get(url, {"q": "PDC"}))
    page = body(admin.get(url, {"type": "raw_material"}))
    assert "STEEL-4140" in page and "BIT-850" not in page
    assert "BIT-850" in body(admin.get(url, {"status": "draft", "tracking": "none"}))


def test_create_and_edit_an_item_with_a_custom_field(admin, org, admin_user, units):
    with tenancy.use(org, admin_user):
        CustomFieldDefinition.objects.create(
            organization=org, model="catalog.item", key="api_spec", label="API spec", field_type="text"
        )
    response = admin.post(
        reverse("catalog:item-create"),
        {
            "number": "BIT-1225",
            "name": "PDC bit 12 1/4in",
            "item_type": "finished_product",
            "make_or_buy": "make",
            "stock_unit": units["ea"].pk,
            "tracking": "serial",
            "revision": "B",
            "purchase_lead_time_days": 0,
            "manufacturing_lead_time_days": 12,
            "lot_size_rule": "lot_for_lot",
            "safety_stock": "2",
            "standard_cost": "1520.50",
            "cf_api_spec": "API 7-1",
        },
    )
    with tenancy.use(org, admin_user):
        item = Item.objects.get(number="BIT-1225")
    assert response.status_code == 302 and response["Location"] == reverse("catalog:item-detail", args=[item.pk])
    assert item.status == "draft" and item.custom_fields == {"api_spec": "API 7-1"}
    page = body(admin.get(reverse("catalog:item-detail", args=[item.pk])))
    assert "API 7-1" in page and "?tab=history" in page
    edit = reverse("catalog:item-edit", args=[item.pk])
    form = admin.get(edit).context["form"]
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in form.initial.items() if k in form.fields}
    data.update(name="PDC bit 12 1/4in matrix", cf_api_spec="API 7-2")
    assert admin.post(edit, data).status_code == 302
    item.refresh_from_db()
    assert item.name == "PDC bit 12 1/4in matrix" and item.custom_fields["api_spec"] == "API 7-2"


def test_duplicate_item_number_is_shown_on_the_form_and_nothing_is_written(admin, bit, units, org):
    response = admin.post(
        reverse("catalog:item-create"),
        {
            "number": "BIT-850",
            "name": "Again",
            "item_type": "tool",
            "make_or_buy": "buy",
            "stock_unit": units["ea"].pk,
            "tracking": "none",
            "purchase_lead_time_days": 0,
            "manufacturing_lead_time_days": 0,
            "lot_size_rule": "lot_for_lot",
            "safety_stock": "0",
            "standard_cost": "0",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    with tenancy.use(org):
        assert Item.objects.filter(number="BIT-850").count() == 1


def test_item_units_are_added_and_removed_through_the_page(admin, org, admin_user, bit, units):
    with tenancy.use(org, admin_user):
        box = Unit.objects.create(organization=org, category=units["ea"].category, code="box", name="box")
    add = reverse("catalog:item-conversion-add", args=[bit.pk])
    page = body(admin.post(add, {"unit": box.pk, "factor_numerator": 12, "factor_denominator": 1}, follow=True))
    assert "1 box = 12 ea added." in page
    refused = body(
        admin.post(add, {"unit": units["ea"].pk, "factor_numerator": 2, "factor_denominator": 1}, follow=True)
    )
    assert "converts to itself" in refused
    with tenancy.use(org, admin_user):
        conversion = ItemUnitConversion.objects.get(item=bit)
        assert services.to_stock_units("2", box, bit) == 24
    admin.post(reverse("catalog:item-conversion-delete", args=[bit.pk, conversion.pk]))
    with tenancy.use(org, admin_user):
        assert not ItemUnitConversion.objects.filter(item=bit).exists()


def test_conversion_calculator_uses_the_exact_conversion(admin, units):
    url = reverse("catalog:unit-convert")
    response = admin.get(url, {"quantity": "12", "from_unit": units["in"].pk, "to_unit": units["ft"].pk})
    assert response.context["result"]["quantity"] == 1
    assert "data-result>1<" in body(response)
    refused = admin.get(url, {"quantity": "1", "from_unit": units["kg"].pk, "to_unit": units["m"].pk})
    assert refused.context["result"] is None and "does not convert" in body(refused)
    partial = admin.get(
        url, {"quantity": "3", "from_unit": units["dz"].pk, "to_unit": units["ea"].pk}, HTTP_HX_REQUEST="true"
    )
    assert "36" in body(partial) and "<html" not in body(partial)


def test_a_registered_panel_is_lazy_loaded_and_renders(admin, bit, panel):
    panel("zz-specs", order=5)
    page = body(admin.get(reverse("catalog:item-detail", args=[bit.pk])))
    url = reverse("catalog:item-panel", args=[bit.pk, "zz-specs"])
    assert f'hx-get="{url}"' in page and 'hx-trigger="load"' in page
    assert "BIT-850" not in page.split(url, 1)[1].split("</section>", 1)[0]  # content comes later
    response = admin.get(url)
    assert response.status_code == 200
    assert "Panel zz-specs" in body(response) and "BIT-850" in body(response) and "alice" in body(response)


def test_a_panel_needing_a_permission_the_user_lacks_is_hidden_and_answers_403(org, bit, panel):
    panel("zz-stock", permission="catalog.change_item")
    panel("zz-open")
    viewer = client_for(member(org, ["catalog.view_item", "workflows.view_*"], username="vera"))
    page = body(viewer.get(reverse("catalog:item-detail", args=[bit.pk])))
    assert reverse("catalog:item-panel", args=[bit.pk, "zz-open"]) in page
    assert reverse("catalog:item-panel", args=[bit.pk, "zz-stock"]) not in page
    assert viewer.get(reverse("catalog:item-panel", args=[bit.pk, "zz-stock"])).status_code == 403
    assert viewer.get(reverse("catalog:item-panel", args=[bit.pk, "zz-open"])).status_code == 200


def test_panels_of_another_organizations_item_are_404(admin, other_org, panel):
    panel("zz-open")
    foreign = ItemFactory(organization=other_org)
    assert admin.get(reverse("catalog:item-panel", args=[foreign.pk, "zz-open"])).status_code == 404
    assert admin.get(reverse("catalog:item-detail", args=[foreign.pk])).status_code == 404
    assert admin.get(reverse("catalog:item-panel", args=[foreign.pk, "no-such-panel"])).status_code == 404


def test_panels_come_in_their_registered_order(panel):
    panel("zz-late", order=900)
    panel("zz-early", order=1)
    keys = [p.key for p in panels.item_panels()]
    assert keys.index("zz-early") < keys.index("zz-late")
    with pytest.raises(ValueError):
        panels.register_item_panel("bad key/", "x", "x.html", lambda r, i: {})


def test_viewer_cannot_open_write_pages_or_change_units(org, bit, units):
    viewer = client_for(member(org, ["*.view_*"], username="victor2"))
    assert viewer.get(reverse("catalog:item-create")).status_code == 403
    assert viewer.get(reverse("catalog:item-edit", args=[bit.pk])).status_code == 403
    assert (
        viewer.post(
            reverse("catalog:item-conversion-add", args=[bit.pk]), {"unit": units["dz"].pk, "factor_numerator": 12}
        ).status_code
        == 403
    )
    page = body(viewer.get(reverse("catalog:item-detail", args=[bit.pk])))
    assert "Add unit" not in page
