"""JSON parsing that refuses what the platform cannot trust."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser


class StrictJSONParser(JSONParser):
    """Rejects bodies over the limit, NaN/Infinity, duplicate keys and text no database can store."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.SHOPFLOOR_MAX_REQUEST_BODY
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"The request body is larger than {limit} bytes.")
        if not raw.strip():
            return {}
        try:
            text = raw.decode(settings.DEFAULT_CHARSET)
            data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
        _refuse_unstorable_text(data)
        return data


class StrictMultiPartParser(MultiPartParser):
    """Multipart uploads: the form fields (names and values) and file names obey the same text
    rule as JSON, so an error that echoes a field name can still be stored and replayed."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> DataAndFiles:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_text({key: parsed.data.getlist(key) for key in parsed.data})
        _refuse_unstorable_text([key for key in parsed.files] + [f.name or "" for f in parsed.files.values()])
        return parsed


class StrictFormParser(FormParser):
    """URL-encoded forms, under the same text rule as JSON."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_text({key: data.getlist(key) for key in data})
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key '{key}'")
        result[key] = value
    return result


def _refuse_unstorable_text(value: Any) -> None:
    """NUL characters and lone surrogates (legal as JSON escapes) cannot be stored in a
    PostgreSQL text column; refuse them up front, in keys as in values, instead of failing
    at the database."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ParseError("Text may not contain NUL (\\u0000) characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError("Text may not contain unpaired surrogates (\\ud800-\\udfff).") from None
