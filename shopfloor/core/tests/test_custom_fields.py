"""Custom fields over the API: each type validated by its definition, errors keyed `custom_fields.<key>`,
required fields enforced, and `?cf_<key>=` filters (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.core import tenancy
from shopfloor.core.models import CustomFieldDefinition, Plant, TypeList, TypeListEntry

PLANTS = "/api/v1/core/plants/"
FieldType = CustomFieldDefinition.FieldType


def define(org, key: str, field_type: str, **options) -> CustomFieldDefinition:
    with tenancy.use(org):
        return CustomFieldDefinition.objects.create(
            organization=org, model="core.plant", key=key, label=key.title(), field_type=field_type, **options
        )


def type_list(org, key: str, values: list[str]) -> TypeList:
    with tenancy.use(org):
        tl = TypeList.objects.create(organization=org, key=key, name=key.title())
        for position, value in enumerate(values):
            TypeListEntry.objects.create(organization=org, type_list=tl, value=value, label=value, position=position)
    return tl


@pytest.fixture
def fields(org):
    """One definition of each type on plants."""
    grades = type_list(org, "grades", ["A", "B", "C"])
    certs = type_list(org, "certs", ["API", "ISO", "ASME"])
    return {
        "site_code": define(org, "site_code", FieldType.TEXT, max_length=6, pattern=r"[A-Z]{2}-\d+"),
        "headcount": define(org, "headcount", FieldType.INTEGER, min_value=Decimal(0), max_value=Decimal(5000)),
        "floor_area": define(
            org, "floor_area", FieldType.DECIMAL, unit="m²", min_value=Decimal("10.5"), max_value=Decimal("100000")
        ),
        "opened": define(org, "opened", FieldType.DATE),
        "bonded": define(org, "bonded", FieldType.BOOLEAN),
        "website": define(org, "website", FieldType.URL),
        "grade": define(org, "grade", FieldType.CHOICE, type_list=grades),
        "certifications": define(org, "certifications", FieldType.MULTI_CHOICE, type_list=certs),
    }


def create(api, custom_fields, code="HOU"):
    return api.post(PLANTS, {"code": code, "name": code, "custom_fields": custom_fields}, format="json")


GOOD = {
    "site_code": "HO-12",
    "headcount": 120,
    "floor_area": "2500.75",
    "opened": "2019-04-01",
    "bonded": True,
    "website": "https://houston.example.com/plant",
    "grade": "B",
    "certifications": ["ISO", "API", "ISO"],
}


def test_valid_values_of_every_type_are_stored_normalised(api, org, fields):
    response = create(api, GOOD)
    assert response.status_code == 201, response.content
    stored = Plant.objects.unscoped().get(pk=response.json()["id"]).custom_fields
    assert stored == {
        "site_code": "HO-12",
        "headcount": 120,
        "floor_area": 2500.75,
        "opened": "2019-04-01",
        "bonded": True,
        "website": "https://houston.example.com/plant",
        "grade": "B",
        "certifications": ["API", "ISO"],
    }
    assert response.json()["custom_fields"] == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("site_code", 12, "Enter text."),
        ("site_code", "HO-1234", "At most 6 characters."),
        ("site_code", "ho-12", "Must match the pattern"),
        ("headcount", "many", "Enter a whole number."),
        ("headcount", 1.5, "Enter a whole number."),
        ("headcount", True, "Enter a whole number."),
        ("headcount", -1, "Must be at least 0."),
        ("headcount", 5001, "Must be at most 5000."),
        ("floor_area", "big", "Enter a number."),
        ("floor_area", "10.4", "Must be at least 10.5 m²."),
        ("floor_area", 100001, "Must be at most 100000 m²."),
        ("floor_area", "NaN", "Enter a finite number."),
        ("floor_area", "Infinity", "Enter a finite number."),
        ("opened", "2019-02-30", "Enter a date as YYYY-MM-DD."),
        ("opened", 20190401, "Enter a date as YYYY-MM-DD."),
        ("bonded", "perhaps", "Enter true or false."),
        ("website", "not a url", "Enter a valid URL."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("grade", "Z", "'Z' is not one of the choices of this field."),
        ("grade", ["A"], "is not one of the choices"),
        ("certifications", "ISO", "Enter a list of choices."),
        ("certifications", ["ISO", "CE"], "Not among the choices of this field: CE."),
        ("nonexistent", "x", "There is no such custom field."),
    ],
)
def test_a_bad_value_is_a_400_naming_custom_fields_key(api, org, fields, key, value, message):
    response = create(api, {**GOOD, key: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [f"custom_fields.{key}"]
    assert message in body["errors"][f"custom_fields.{key}"][0]
    assert body["detail"].startswith(f"custom_fields.{key}: ")
    assert not Plant.objects.unscoped().exists()


def test_a_bad_value_on_patch_names_the_key_and_changes_nothing(api, org, fields):
    plant_id = create(api, GOOD).json()["id"]
    response = api.patch(f"{PLANTS}{plant_id}/", {"custom_fields": {"headcount": 9999}}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["custom_fields.headcount"]
    assert Plant.objects.unscoped().get(pk=plant_id).custom_fields["headcount"] == 120


@pytest.mark.parametrize("value", ["text", ["a"], 5, True])
def test_custom_fields_must_be_an_object(api, org, fields, value):
    response = create(api, value)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["custom_fields"]


def test_several_bad_values_are_all_reported(api, org, fields):
    response = create(api, {**GOOD, "headcount": -5, "grade": "Z", "opened": "soon"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"custom_fields.headcount", "custom_fields.grade", "custom_fields.opened"}


def test_required_field_is_enforced_on_create_but_not_lost_on_patch(api, org, fields):
    define(org, "permit", FieldType.TEXT, required=True)
    for body in ({}, {"permit": ""}, {"permit": None}):
        response = create(api, body)
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == {"custom_fields.permit": ["This field is required."]}
    missing = api.post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"] == {
        "custom_fields.permit": ["This field is required."]
    }
    assert not Plant.objects.unscoped().exists()

    plant_id = create(api, {"permit": "P-1"}).json()["id"]
    # A PATCH of another key keeps the required one; clearing it is refused.
    assert api.patch(f"{PLANTS}{plant_id}/", {"custom_fields": {"headcount": 3}}, format="json").status_code == 200
    assert api.patch(f"{PLANTS}{plant_id}/", {"name": "Renamed"}, format="json").status_code == 200
    cleared = api.patch(f"{PLANTS}{plant_id}/", {"custom_fields": {"permit": ""}}, format="json")
    assert cleared.status_code == 400 and list(cleared.json()["errors"]) == ["custom_fields.permit"]
    assert Plant.objects.unscoped().get(pk=plant_id).custom_fields == {"permit": "P-1", "headcount": 3}


def test_patch_merges_and_an_empty_value_removes_a_key(api, org, fields):
    plant_id = create(api, {"headcount": 5, "grade": "A"}).json()["id"]
    response = api.patch(f"{PLANTS}{plant_id}/", {"custom_fields": {"grade": None, "bonded": "yes"}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == {"headcount": 5, "bonded": True}


def test_inactive_definitions_and_inactive_choices_are_refused(api, org, fields):
    CustomFieldDefinition.objects.unscoped().filter(key="website").update(is_active=False)
    TypeListEntry.objects.unscoped().filter(value="C").update(is_active=False)
    response = create(api, {"website": "https://x.example.com", "grade": "C"})
    assert set(response.json()["errors"]) == {"custom_fields.website", "custom_fields.grade"}


def test_definitions_of_another_organization_do_not_apply(api, org, other_org, fields):
    define(other_org, "rig_count", FieldType.INTEGER)
    response = create(api, {"rig_count": 3})
    assert response.json()["errors"] == {"custom_fields.rig_count": ["There is no such custom field."]}


# --- Filtering -----------------------------------------------------------------------------------


@pytest.fixture
def plants(api, org, fields):
    rows = [
        (
            "P1",
            {
                "headcount": 10,
                "floor_area": "50.5",
                "opened": "2010-01-01",
                "bonded": True,
                "grade": "A",
                "site_code": "AA-1",
                "certifications": ["ISO"],
            },
        ),
        (
            "P2",
            {
                "headcount": 200,
                "floor_area": "1000",
                "opened": "2015-06-30",
                "bonded": False,
                "grade": "B",
                "site_code": "BB-2",
                "certifications": ["API", "ISO"],
            },
        ),
        (
            "P3",
            {
                "headcount": 3000,
                "floor_area": "99999.25",
                "opened": "2021-12-31",
                "grade": "B",
                "certifications": ["ASME"],
            },
        ),
        ("P4", {}),
    ]
    for code, values in rows:
        assert create(api, values, code=code).status_code == 201


def codes(api, query: str) -> list[str]:
    response = api.get(PLANTS + query + "&ordering=code")
    assert response.status_code == 200, response.content
    return [p["code"] for p in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?cf_headcount=200", ["P2"]),
        ("?cf_headcount__gte=200", ["P2", "P3"]),
        ("?cf_headcount__lte=200", ["P1", "P2"]),
        ("?cf_headcount__gte=20&cf_headcount__lte=2999", ["P2"]),
        ("?cf_floor_area__gte=1000", ["P2", "P3"]),
        ("?cf_floor_area__lte=999.99", ["P1"]),
        ("?cf_floor_area=50.5", ["P1"]),
        ("?cf_opened__gte=2015-06-30", ["P2", "P3"]),
        ("?cf_opened__lte=2015-06-29", ["P1"]),
        ("?cf_bonded=true", ["P1"]),
        ("?cf_bonded=false", ["P2"]),
        ("?cf_grade=B", ["P2", "P3"]),
        ("?cf_site_code=AA-1", ["P1"]),
        ("?cf_certifications=ISO", ["P1", "P2"]),
        ("?cf_certifications=AS", []),
    ],
)
def test_filter_by_custom_field(api, plants, query, expected):
    assert codes(api, query) == expected


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("?cf_headcount=many", "cf_headcount"),
        ("?cf_headcount__gt=5", "cf_headcount__gt"),
        ("?cf_nothing=1", "cf_nothing"),
        ("?cf_opened__gte=soon", "cf_opened__gte"),
    ],
)
def test_a_bad_custom_field_filter_is_400(api, plants, query, name):
    response = api.get(PLANTS + query)
    assert response.status_code == 400, response.content
    assert name in response.json()["errors"]
