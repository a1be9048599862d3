"""Web forms of the catalog: they parse input; the catalog's services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.core.forms import CustomFieldsFormMixin, ServiceModelForm

from .models import QUANTITY, Item, ItemUnitConversion, Unit, UnitCategory


class UnitCategoryForm(ServiceModelForm):
    class Meta:
        model = UnitCategory
        fields = ["name", "description"]


class UnitForm(ServiceModelForm):
    class Meta:
        model = Unit
        fields = ["category", "code", "name", "factor_numerator", "factor_denominator", "is_active"]
        labels = {"factor_numerator": "Base units (numerator)", "factor_denominator": "per (denominator)"}
        help_texts = {
            "factor_numerator": "One of this unit is numerator/denominator base units of its category "
            "(1 in = 127/5000 m)."
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = UnitCategory.objects.all()


class ConversionForm(forms.Form):
    """The calculator: a quantity from one unit to another, optionally through an item's own units."""

    quantity = forms.DecimalField(**QUANTITY)
    from_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="From")
    to_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="To")
    item = forms.ModelChoiceField(
        queryset=Item.objects.none(), required=False, help_text="Optional: convert through this item's own units."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(is_active=True).select_related("category")
        self.fields["from_unit"].queryset = units
        self.fields["to_unit"].queryset = units
        self.fields["item"].queryset = Item.objects.all()


class ItemForm(CustomFieldsFormMixin, ServiceModelForm):
    class Meta:
        model = Item
        fields = [
            "number",
            "name",
            "description",
            "item_type",
            "make_or_buy",
            "stock_unit",
            "tracking",
            "revision",
            "purchase_lead_time_days",
            "manufacturing_lead_time_days",
            "lot_size_rule",
            "fixed_lot_size",
            "minimum_lot_size",
            "maximum_lot_size",
            "lot_multiple",
            "period_days",
            "safety_stock",
            "reorder_point",
            "minimum_stock",
            "maximum_stock",
            "standard_cost",
            "inspect_on_receipt",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stock_unit"].queryset = Unit.objects.filter(is_active=True).select_related("category")


class ItemUnitConversionForm(ServiceModelForm):
    class Meta:
        model = ItemUnitConversion
        fields = ["unit", "factor_numerator", "factor_denominator"]
        labels = {"factor_numerator": "Stock units (numerator)", "factor_denominator": "per (denominator)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).select_related("category")
