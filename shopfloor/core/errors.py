"""Errors services raise; the API and web layers translate them (409 for Conflict)."""

from __future__ import annotations


class Conflict(Exception):
    """The request clashes with the current state: a concurrent change, a duplicate, a stale status."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
