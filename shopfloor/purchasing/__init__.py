"""Purchasing: purchase orders and receipts."""
