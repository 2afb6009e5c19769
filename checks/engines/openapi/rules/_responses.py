"""Helpers shared by the error-response rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checks.engines.openapi.spec import Operation, Spec, Where

PROBLEM_JSON = "application/problem+json"
ERROR_STATUS = re.compile(r"^([45][0-9X]{2}|default)$", re.IGNORECASE)


def error_responses(spec: Spec) -> Iterator[tuple[Operation, str, Any, Where]]:
    """Every 4xx, 5xx and ``default`` response of every operation (``$ref`` followed)."""
    for op in spec.operations():
        responses = op.node.get("responses")
        if not isinstance(responses, dict) or op.method == "head":
            continue
        for status, response in responses.items():
            if ERROR_STATUS.match(str(status)):
                node, where = spec.deref(response, op.where.child("responses", str(status)))
                if isinstance(node, dict):
                    yield op, str(status), node, where
