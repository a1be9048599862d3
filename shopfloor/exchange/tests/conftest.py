"""Uploaded files of the exchange tests go to a temporary MEDIA_ROOT, never to var/media."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
