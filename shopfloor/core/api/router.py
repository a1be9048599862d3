"""The one API router. Every app's `api.py` registers its viewsets here; the contract tests walk it."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
