"""Cursor (keyset) pagination for every list that can grow (SPEC 7.4).

The body stays a plain array; while there is more, an RFC 8288 header says
where: ``Link: <https://…/api/v1/movies?cursor=…&limit=50>; rel="next"``.

The cursor holds the sort key of the last item sent, and the next page is
"items after that key" (a WHERE on the key, not an OFFSET), so rows inserted or
deleted meanwhile never shift a page: nothing is skipped or sent twice. The
ordering must end in a unique field (the pk) so the key is unique.
``?limit=`` is 1..200, default 50; a bad limit or cursor is a 400 naming it.
One query per page (it reads limit + 1 rows to know whether there is more).
"""

import base64
import json
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework import exceptions
from rest_framework.response import Response

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _exact(value):
    # Full precision (DjangoJSONEncoder drops microseconds, which would break the key).
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return int(raw)


class CursorPage:
    """Paginate a queryset by ``ordering`` (e.g. ``("title", "pk")`` or ``("-pk",)``)."""

    def __init__(self, ordering: tuple[str, ...]):
        if not ordering or ordering[-1].lstrip("-") not in ("pk", "id"):
            raise ValueError("The ordering must end in the pk, so the cursor is unique.")
        self.ordering = ordering
        self.next_url: str | None = None

    def _fields(self, model):
        for name in self.ordering:
            field_name = name.lstrip("-")
            field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
            yield field_name, name.startswith("-"), field

    def _decode(self, model, cursor: str) -> list:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
            fields = list(self._fields(model))
            if not isinstance(values, list) or len(values) != len(fields):
                raise ValueError
            return [field.to_python(value) for (_, _, field), value in zip(fields, values, strict=True)]
        except (ValueError, TypeError, DjangoValidationError, UnicodeDecodeError) as exc:
            raise exceptions.ValidationError({"cursor": ["Not a cursor this list gave out."]}) from exc

    def _after(self, model, values) -> Q:
        fields = list(self._fields(model))
        terms = []
        for i, (name, desc, _) in enumerate(fields):
            q = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
            for j in range(i):
                q &= Q(**{fields[j][0]: values[j]})
            terms.append(q)
        return reduce(or_, terms)

    def paginate(self, queryset: QuerySet, request) -> list:
        """The page's items (a list); sets ``next_url`` when there is more."""
        limit = _limit(request)
        model = queryset.model
        cursor = request.query_params.get("cursor")
        queryset = queryset.order_by(*self.ordering)
        if cursor:
            queryset = queryset.filter(self._after(model, self._decode(model, cursor)))
        items = list(queryset[: limit + 1])
        self.next_url = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            key = [getattr(last, name) for name, _, _ in self._fields(model)]
            raw = json.dumps(key, default=_exact).encode()
            token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
            params = request.query_params.copy()
            params["cursor"] = token
            params["limit"] = str(limit)
            self.next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return items

    def response(self, data, **kwargs) -> Response:
        response = Response(data, **kwargs)
        if self.next_url:
            response["Link"] = f'<{self.next_url}>; rel="next"'
        return response
