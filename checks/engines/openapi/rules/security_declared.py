"""API-104: every operation declares security, or is explicitly public with ``security: []``."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec


@check("security-declared")
def security_declared(spec: Spec) -> Iterator[Violation]:
    """Flag operations with no effective security requirement, and requirements naming unknown schemes."""
    components = spec.data.get("components")
    schemes = components.get("securitySchemes", {}) if isinstance(components, dict) else {}
    schemes = schemes if isinstance(schemes, dict) else {}
    root_security = spec.data.get("security")
    for op in spec.operations():
        if "security" in op.node:
            security, where = op.node["security"], op.where.child("security")
            if security == []:
                continue  # explicitly public
        else:
            security, where = root_security, op.where
        if not isinstance(security, list) or not security:
            yield Violation(
                f"{op.label} declares no security requirement; add one, or mark it public with `security: []`",
                where,
            )
            continue
        for index, requirement in enumerate(security):
            if not isinstance(requirement, dict):
                continue
            for name in requirement:
                if name not in schemes:
                    yield Violation(
                        f"{op.label} requires security scheme {name!r}, which components.securitySchemes does not define",
                        where.child(index, name) if where is not op.where else op.where,
                    )
