"""What the diff reports: one :class:`Change` per difference in meaning, and its category.

Every category belongs to one check key, and every key enforces one rule, so a
category fixes the severity: breaking (error), warning, or compatible (info).
The table lists what is detected and the nearest check of the two widely used
open-source diff tools, oasdiff (``oasdiff breaking``) and OpenAPITools
openapi-diff (``incompatible.*`` properties).

=========================================  ========  ===========  ==========================================
category                                   side      class        oasdiff / openapi-diff
=========================================  ========  ===========  ==========================================
operation-removed                          request   breaking     api-removed-without-deprecation,
                                                                  api-removed-before-sunset
operation-removed-after-sunset             request   compatible   api-removed-after-sunset (info)
operation-added                            request   compatible   endpoint-added
operation-deprecated                       request   warning      endpoint-deprecated
operation-sunset-removed                   request   warning      sunset-deleted
operation-reactivated                      request   compatible   endpoint-reactivated
security-requirement-added                 request   breaking     new-required-security-requirement
security-scope-added                       request   breaking     api-security-scope-added
security-relaxed                           request   compatible   api-security-removed
request-parameter-added-required           request   breaking     new-required-request-parameter,
                                                                  incompatible.request.required.increased
request-parameter-added-optional           request   compatible   new-optional-request-parameter
request-parameter-removed                  request   breaking     request-parameter-removed
request-parameter-became-required          request   breaking     request-parameter-became-required
request-parameter-became-optional          request   compatible   request-parameter-became-optional
request-parameter-serialization-changed    request   breaking     request-parameter-style/explode-changed
request-parameter-deprecated               request   warning      request-parameter-deprecated
request-body-added-required                request   breaking     request-body-added-required
request-body-added-optional                request   compatible   request-body-added-optional
request-body-removed                       request   breaking     request-body-removed
request-body-became-required               request   breaking     request-body-became-required
request-body-became-optional               request   compatible   request-body-became-optional
request-media-type-removed                  request   breaking     request-body-media-type-removed,
                                                                  incompatible.request.content.decreased
request-media-type-added                   request   compatible   request-body-media-type-added
request-property-added-required            request   breaking     new-required-request-property
request-property-added-optional            request   compatible   new-optional-request-property
request-property-removed                   request   breaking     request-property-removed
request-property-became-required           request   breaking     request-property-became-required
request-property-became-optional           request   compatible   request-property-became-optional
request-type-changed                       request   breaking     request-*-type-changed,
                                                                  incompatible.schema.type.changed
request-type-widened                       request   compatible   request-*-type-generalized
request-became-not-nullable                request   breaking     request-*-became-not-nullable
request-became-nullable                    request   compatible   request-*-became-nullable
request-format-changed                     request   breaking     request-*-format-changed
request-enum-value-removed                 request   breaking     request-*-enum-value-removed,
                                                                  incompatible.request.enum.decreased
request-enum-value-added                   request   compatible   request-*-enum-value-added
request-constraint-tightened               request   breaking     request-*-max-decreased, -min-increased,
                                                                  -max-length-decreased, -pattern-changed,
                                                                  -max-set, -min-set, -multiple-of-changed,
                                                                  incompatible.request.max.length.decreased,
                                                                  incompatible.request.numeric.range.decreased
request-constraint-loosened                request   compatible   request-*-max-increased, -min-decreased
request-additional-properties-closed       request   breaking     request-*-additional-properties-closed
request-alternative-removed                request   breaking     request-*-one-of/any-of-removed
request-alternative-added                  request   compatible   request-*-one-of/any-of-added
discriminator-changed                      both      breaking     *-discriminator-property-name-changed,
                                                                  incompatible.schema.discriminator.changed
response-status-removed                    response  breaking     response-success-status-removed,
                                                                  incompatible.response.responses.decreased
response-error-status-removed              response  compatible   response-non-success-status-removed (info)
response-status-added                      response  compatible   response-success-status-added
response-media-type-removed                response  breaking     response-mediatype-removed,
                                                                  incompatible.response.content.decreased
response-media-type-added                  response  compatible   response-media-type-added
response-header-removed                    response  breaking     response-required-header-removed
response-property-removed                  response  breaking     response-required-property-removed
response-property-became-optional          response  breaking     response-property-became-optional,
                                                                  incompatible.response.required.decreased
response-property-added                    response  compatible   response-optional-property-added
response-property-became-required          response  compatible   response-property-became-required
response-type-changed                      response  breaking     response-*-type-changed
response-type-narrowed                     response  compatible   response-*-type-specialized
response-became-nullable                   response  breaking     response-*-became-nullable
response-became-not-nullable               response  compatible   response-*-became-not-nullable
response-format-changed                    response  breaking     response-*-format-changed
response-enum-value-added                  response  warning      response-*-enum-value-added,
                                                                  incompatible.response.enum.increased
response-enum-value-removed                response  compatible   response-*-enum-value-removed
response-constraint-loosened               response  breaking     response-*-max-increased, -min-decreased,
                                                                  -max-unset, incompatible.response.max.length
                                                                  .increased, -numeric.range.increased
response-constraint-tightened              response  compatible   response-*-max-decreased
response-alternative-added                 response  warning      response-*-one-of/any-of-added
response-alternative-removed               response  compatible   response-*-one-of/any-of-removed
=========================================  ========  ===========  ==========================================

Not compared: server URLs, callbacks, links, webhooks, ``not``, ``prefixItems``,
``patternProperties``, and changes inside a security scheme's definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from checks.engines.openapi.spec import Where


class Kind(StrEnum):
    """How a change affects existing clients."""

    BREAKING = "breaking"
    WARNING = "warning"
    COMPATIBLE = "compatible"


BREAKING_KEY = "breaking-change"
REMOVAL_KEY = "operation-removal"
DEPRECATION_KEY = "deprecation"
RESPONSE_GROWTH_KEY = "response-growth"
CHANGELOG_KEY = "changelog"

KIND_OF_KEY: dict[str, Kind] = {
    BREAKING_KEY: Kind.BREAKING,
    REMOVAL_KEY: Kind.BREAKING,
    DEPRECATION_KEY: Kind.WARNING,
    RESPONSE_GROWTH_KEY: Kind.WARNING,
    CHANGELOG_KEY: Kind.COMPATIBLE,
}

_SPECIAL_KEYS = {
    "operation-removed": REMOVAL_KEY,
    "operation-deprecated": DEPRECATION_KEY,
    "operation-sunset-removed": DEPRECATION_KEY,
    "request-parameter-deprecated": DEPRECATION_KEY,
    "response-enum-value-added": RESPONSE_GROWTH_KEY,
    "response-alternative-added": RESPONSE_GROWTH_KEY,
}

BREAKING_CATEGORIES = frozenset(
    {
        "security-requirement-added",
        "security-scope-added",
        "request-parameter-added-required",
        "request-parameter-removed",
        "request-parameter-became-required",
        "request-parameter-serialization-changed",
        "request-body-added-required",
        "request-body-removed",
        "request-body-became-required",
        "request-media-type-removed",
        "request-property-added-required",
        "request-property-removed",
        "request-property-became-required",
        "request-type-changed",
        "request-became-not-nullable",
        "request-format-changed",
        "request-enum-value-removed",
        "request-constraint-tightened",
        "request-additional-properties-closed",
        "request-alternative-removed",
        "discriminator-changed",
        "response-status-removed",
        "response-media-type-removed",
        "response-header-removed",
        "response-property-removed",
        "response-property-became-optional",
        "response-type-changed",
        "response-became-nullable",
        "response-format-changed",
        "response-constraint-loosened",
    }
)


def key_of(category: str) -> str:
    """The check key (and so the rule) a change category is reported under."""
    if category in _SPECIAL_KEYS:
        return _SPECIAL_KEYS[category]
    return BREAKING_KEY if category in BREAKING_CATEGORIES else CHANGELOG_KEY


@dataclass
class Change:
    """One difference in meaning between two versions of a contract.

    ``trail`` says where in the operation it is (``request body application/json property `title```),
    ``detail`` what changed there. A change inside a schema shared by several operations is
    reported once, at the schema, and lists every operation that reaches it.
    """

    category: str
    side: str
    detail: str
    operation: str
    trail: str = ""
    new: Where | None = None
    old: Where | None = None
    operations: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Check key the change is reported under."""
        return key_of(self.category)

    @property
    def kind(self) -> Kind:
        """Breaking, warning or compatible."""
        return KIND_OF_KEY[self.key]

    @property
    def message(self) -> str:
        """One sentence for the report."""
        where = f"{self.operation} {self.trail}".strip()
        text = f"{where}: {self.detail}"
        others = len(self.operations) - 1
        if others > 0:
            text += f" (shared: also in {others} other operation{'s' if others != 1 else ''})"
        return text

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        """What makes two sightings of a shared schema's change the same change."""
        new = f"{self.new.doc.path}#{self.new.pointer}" if self.new else ""
        old = f"{self.old.doc.path}#{self.old.pointer}" if self.old else ""
        return self.category, self.side, new, old, self.detail


class Changelog:
    """Collects changes, merging sightings of the same change reached from several operations."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self._index: dict[tuple[str, str, str, str, str], int] = {}

    def add(self, change: Change) -> int:
        """Record ``change`` (once) and return its index."""
        ident = change.identity
        found = self._index.get(ident)
        if found is None:
            found = self._index[ident] = len(self.changes)
            self.changes.append(change)
        return found

    def seen_by(self, indices: list[int], operation: str) -> None:
        """Note that ``operation`` reaches the changes at ``indices``."""
        for index in dict.fromkeys(indices):
            ops = self.changes[index].operations
            if operation not in ops:
                ops.append(operation)
