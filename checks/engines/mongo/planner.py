"""How MongoDB's query planner would treat a query shape: which indexes it can use, and how well.

The rules follow the planner: an index is used through a prefix of its key; equality fields
then sort fields then range fields (ESR) keep the scan tight; an index provides a sort when,
once equality-bound fields are set aside, its key continues with the sort fields all in the
same or all in the reverse direction; a partial index is usable only when the filter implies
its ``partialFilterExpression``; a sparse index only when the filter rules out documents that
lack the field; an index with another collation cannot compare strings for the query; a
multikey field cannot provide a sort; ``$regex`` bounds a scan only when anchored and
case-sensitive; ``$ne``, ``$nin`` and ``$not`` bound nothing worth having.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from checks.engines.mongo import vocabulary as vocab
from checks.engines.mongo.fields import Fields
from checks.engines.mongo.manifest import Collation, Index

ID_INDEX = Index.model_validate({"name": "_id_", "key": [["_id", 1]], "unique": True})
"""The index every collection has."""

_REGEX_META = set(".^$*+?()[]{}|\\")


class Kind(Enum):
    """What a predicate does to the scan of an index on its field."""

    EQ = "equality"
    IN = "$in"
    RANGE = "range"
    REGEX_PREFIX = "anchored $regex"
    REGEX_SCAN = "unanchored or case-insensitive $regex"
    NEG = "negation"
    EXISTS = "$exists: true"
    MISSING = "$exists: false"
    ELEM = "$elemMatch"
    GEO = "geospatial"
    OTHER = "non-indexable"


EQUALITY = frozenset({Kind.EQ, Kind.IN})
BOUNDING = frozenset({Kind.EQ, Kind.IN, Kind.RANGE, Kind.REGEX_PREFIX, Kind.ELEM})


@dataclass(frozen=True, slots=True)
class Predicate:
    """One condition on one field path."""

    field: str
    kind: Kind
    ops: tuple[tuple[str, Any], ...]
    strings: bool

    @property
    def excludes_missing(self) -> bool:
        """True when no document lacking the field can match (so a sparse index is complete)."""
        if self.kind in (Kind.NEG, Kind.MISSING, Kind.OTHER):
            return False
        return not any(
            op in ("$eq", "$in") and (v is None or (isinstance(v, list) and None in v)) for op, v in self.ops
        )

    @property
    def operator(self) -> str:
        """The operator as written, for messages."""
        return ", ".join(op for op, _ in self.ops) or "$eq"


@dataclass
class Shape:
    """A filter seen by the planner: ANDed predicates per field, ``$or`` branches, and the rest."""

    predicates: dict[str, list[Predicate]] = field(default_factory=dict)
    branches: list[Shape] = field(default_factory=list)
    text: bool = False
    opaque: list[str] = field(default_factory=list)
    javascript: list[str] = field(default_factory=list)

    def add(self, pred: Predicate) -> None:
        """AND one predicate into the shape."""
        self.predicates.setdefault(pred.field, []).append(pred)

    def merge(self, other: Shape) -> None:
        """AND another shape into this one."""
        for preds in other.predicates.values():
            for pred in preds:
                self.add(pred)
        self.branches.extend(other.branches)
        self.text = self.text or other.text
        self.opaque.extend(other.opaque)
        self.javascript.extend(other.javascript)

    def kinds(self, path: str) -> set[Kind]:
        """Kinds of the predicates on ``path``."""
        return {p.kind for p in self.predicates.get(path, [])}

    @property
    def empty(self) -> bool:
        """True when nothing restricts which documents match."""
        return not self.predicates and not self.branches and not self.text and not self.opaque


def regex_is_prefix(pattern: Any, options: Any) -> bool:
    """True for a case-sensitive pattern anchored with ``^`` (or ``\\A``) and starting with a literal."""
    if not isinstance(pattern, str) or (isinstance(options, str) and "i" in options):
        return False
    if pattern.startswith("(?") and "i" in pattern[2 : pattern.find(")")]:
        return False
    for anchor in ("^", "\\A"):
        if pattern.startswith(anchor):
            rest = pattern[len(anchor) :]
            return bool(rest) and (
                rest[0] not in _REGEX_META or (rest[0] == "\\" and len(rest) > 1 and rest[1] in _REGEX_META)
            )
    return False


def analyze(filter_: dict[str, Any], fields: Fields) -> Shape:
    """The planner's view of a filter (already checked against the known operators)."""
    shape = Shape()
    for key, value in filter_.items():
        if key in ("$and",):
            for clause in value:
                shape.merge(analyze(clause, fields))
        elif key == "$or":
            shape.branches.extend(analyze(clause, fields) for clause in value)
        elif key == "$nor":
            shape.opaque.append("$nor")
        elif key == "$expr":
            shape.opaque.append("$expr")
            shape.javascript.extend(sorted(javascript_in(value)))
        elif key == "$where":
            shape.opaque.append("$where")
            shape.javascript.append("$where")
        elif key == "$text":
            shape.text = True
        elif key.startswith("$"):
            continue
        else:
            _field(shape, key, value, fields)
    return shape


def _field(shape: Shape, path: str, value: Any, fields: Fields) -> None:
    if not (isinstance(value, dict) and any(str(k).startswith("$") for k in value)):
        shape.add(Predicate(path, Kind.EQ, (("$eq", value),), _strings(path, value, fields)))
        return
    options = value.get("$options")
    ranges: list[tuple[str, Any]] = []
    for op, arg in value.items():
        if op in vocab.RANGE:
            ranges.append((op, arg))
        elif op == "$eq":
            shape.add(Predicate(path, Kind.EQ, ((op, arg),), _strings(path, arg, fields)))
        elif op in ("$in", "$all"):
            strings = any(_strings(path, v, fields) for v in arg)
            kind = Kind.EQ if op == "$all" or len(arg) == 1 else Kind.IN
            shape.add(Predicate(path, kind, ((op, arg),), strings))
        elif op in vocab.NEGATION:
            shape.add(Predicate(path, Kind.NEG, ((op, arg),), False))
        elif op == "$exists":
            shape.add(Predicate(path, Kind.EXISTS if arg else Kind.MISSING, ((op, arg),), False))
        elif op == "$type":
            shape.add(Predicate(path, Kind.EXISTS, ((op, arg),), False))
        elif op == "$regex":
            kind = Kind.REGEX_PREFIX if regex_is_prefix(arg, options) else Kind.REGEX_SCAN
            shape.add(Predicate(path, kind, ((op, arg),), True))
        elif op == "$elemMatch":
            _elem_match(shape, path, arg, fields)
        elif op in vocab.GEO:
            shape.add(Predicate(path, Kind.GEO, ((op, arg),), False))
        elif op in ("$size", "$mod") or op.startswith("$bits"):
            shape.add(Predicate(path, Kind.OTHER, ((op, arg),), False))
    if ranges:
        strings = any(_strings(path, v, fields) for _, v in ranges)
        shape.add(Predicate(path, Kind.RANGE, tuple(ranges), strings))


def _elem_match(shape: Shape, path: str, arg: dict[str, Any], fields: Fields) -> None:
    if any(str(k).startswith("$") and k not in vocab.TOP_OPERATORS for k in arg):
        sub = Shape()
        _field(sub, path, arg, fields)
        for pred in sub.predicates.get(path, []):
            kind = pred.kind if pred.kind not in EQUALITY else Kind.ELEM
            shape.add(Predicate(path, kind, pred.ops, pred.strings))
        return
    inner = analyze(arg, fields)
    shape.add(Predicate(path, Kind.ELEM, (("$elemMatch", arg),), False))
    for sub_path, preds in inner.predicates.items():
        for pred in preds:
            shape.add(Predicate(f"{path}.{sub_path}", pred.kind, pred.ops, pred.strings))
    shape.javascript.extend(inner.javascript)


def _strings(path: str, value: Any, fields: Fields) -> bool:
    declared = fields.types.get(path)
    if declared:
        return "string" in declared
    return isinstance(value, str)


def javascript_in(node: Any) -> set[str]:
    """Every ``$where``, ``$function`` and ``$accumulator`` anywhere inside ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in vocab.SERVER_JS:
                    found.add(key)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def same_collation(a: Collation | None, b: Collation | None) -> bool:
    """True when two collations compare strings alike (absent and ``simple`` are binary comparison)."""

    if a is b:
        return True

    def sig(c: Collation | None) -> tuple[tuple[str, Any], ...]:
        return () if c is None or c.locale == "simple" else c.signature()

    return sig(a) == sig(b)


@dataclass(slots=True)
class Fit:
    """How one index fits one query shape."""

    index: Index
    usable: bool
    reason: str | None = None
    bounded: list[str] = field(default_factory=list)
    serves_filter: bool = False
    serves_sort: bool = False
    esr: bool = True
    esr_problem: str | None = None
    equality_fields: set[str] = field(default_factory=set)
    covered: int = 0


def fit(
    index: Index,
    shape: Shape,
    sort: list[tuple[str, int]],
    collation: Collation | None,
    fields: Fields,
    condition: Shape | None = None,
) -> Fit:
    """Whether the planner may use ``index`` for the shape, and what it then does for filter and sort.

    ``condition`` is the index's analysed ``partialFilterExpression``, when the caller has it already.
    """
    if index.hidden:
        return Fit(index, False, "it is hidden")
    partial = False
    if index.partial_filter_expression is not None:
        condition = condition or analyze(index.partial_filter_expression, fields)
        if not implies(shape, condition):
            return Fit(index, False, "the filter does not imply its partialFilterExpression")
        partial = any(is_selective(p) for preds in condition.predicates.values() for p in preds)
    if any(d == "text" for _, d in index.key):
        return Fit(
            index, shape.text, None if shape.text else "a text index serves only $text", serves_filter=shape.text
        )
    unrelated = not any(f in shape.predicates for f in index.fields) and (not sort or sort[0][0] not in index.fields)
    if unrelated and not partial and not index.sparse:
        return Fit(index, True, serves_sort=not sort)
    collated = same_collation(index.collation, collation)
    if index.sparse:
        preds = [p for f in index.fields for p in shape.predicates.get(f, [])]
        if not any(p.excludes_missing for p in preds):
            return Fit(index, False, "it is sparse and the filter does not rule out documents without its fields")
    bounded: list[str] = []
    equal: set[str] = set()
    roles: list[str] = []
    sort_fields = {f for f, _ in sort}
    for position, (path, direction) in enumerate(index.key):
        preds = shape.predicates.get(path, [])
        usable_preds = [p for p in preds if _bounds(p, direction, collated, index)]
        kinds = {p.kind for p in usable_preds}
        if kinds & EQUALITY:
            equal.add(path)
            roles.append("E")
        elif kinds:
            # A range on a sort field bounds a scan that is already in sort order (keyset paging): sort role.
            roles.append("S" if path in sort_fields else "R")
        elif path in sort_fields:
            roles.append("S")
        else:
            roles.append("")
        if kinds and len(bounded) == position:
            bounded.append(path)
    result = Fit(index, True, bounded=bounded, serves_filter=bool(bounded) or partial, equality_fields=equal)
    if not collated and any(p.strings for f in index.fields for p in shape.predicates.get(f, [])):
        result.reason = "its collation differs from the query's, so it cannot compare strings for it"
    result.serves_sort = provides_sort(index, sort, equal, fields, collated)
    result.esr, result.esr_problem = _esr(index, roles)
    result.covered = sum(1 for role in roles if role)
    return result


def _bounds(pred: Predicate, direction: Any, collated: bool, index: Index) -> bool:
    if pred.kind is Kind.GEO:
        return direction == "2dsphere"
    if direction == "2dsphere":
        return False
    if direction == "hashed":
        return pred.kind in EQUALITY and (collated or not pred.strings)
    if pred.kind not in BOUNDING:
        return False
    if pred.kind is Kind.REGEX_PREFIX and index.collation is not None and index.collation.locale != "simple":
        return False
    return collated or not pred.strings


def provides_sort(
    index: Index, sort: list[tuple[str, int]], equal: set[str], fields: Fields, collated: bool = True
) -> bool:
    """True when scanning ``index`` (forwards or backwards) returns documents in ``sort`` order."""
    wanted = [(f, d) for f, d in sort if f not in equal]
    if not wanted:
        return True
    if any(fields.is_multikey(f) for f, _ in wanted):
        return False
    if not collated and any(fields.may_hold_strings(f) for f, _ in wanted):
        return False
    provided: list[tuple[str, Any]] = []
    for path, direction in index.key:
        if direction not in (1, -1):
            break
        if path not in equal:
            provided.append((path, direction))
    if len(provided) < len(wanted):
        return False
    head = provided[: len(wanted)]
    if [f for f, _ in head] != [f for f, _ in wanted]:
        return False
    same = all(d == w for (_, d), (_, w) in zip(head, wanted, strict=True))
    flipped = all(d == -w for (_, d), (_, w) in zip(head, wanted, strict=True))
    return same or flipped


def _esr(index: Index, roles: list[str]) -> tuple[bool, str | None]:
    order = {"E": 0, "S": 1, "R": 2}
    used = [(path, role) for (path, _), role in zip(index.key, roles, strict=True) if role]
    worst: tuple[str, str] | None = None
    for path, role in used:
        if worst is not None and order[role] < order[worst[1]]:
            names = {"E": "equality", "S": "sort", "R": "range"}
            return False, (
                f"{names[worst[1]]} field {worst[0]!r} comes before {names[role]} field {path!r}; "
                "order keys equality, then sort, then range"
            )
        if worst is None or order[role] > order[worst[1]]:
            worst = (path, role)
    return True, None


def implies(shape: Shape, condition: Shape) -> bool:
    """True when every document matching ``shape`` also matches ``condition`` (conservatively)."""
    if condition.branches or condition.opaque or condition.text:
        return False
    for path, needed in condition.predicates.items():
        have = shape.predicates.get(path, [])
        for need in needed:
            if not any(_implies_one(h, need) for h in have):
                return False
    return True


def _implies_one(have: Predicate, need: Predicate) -> bool:
    if need.kind is Kind.EXISTS and dict(need.ops).get("$exists") is True:
        return have.excludes_missing
    if need.kind is Kind.EXISTS and "$type" in dict(need.ops):
        return dict(have.ops).get("$type") == dict(need.ops)["$type"]
    if need.kind is Kind.EQ:
        target = need.ops[0][1]
        return have.kind is Kind.EQ and have.ops[0][0] == "$eq" and have.ops[0][1] == target
    if need.kind is Kind.IN:
        allowed = need.ops[0][1]
        values = _values(have)
        return values is not None and all(v in allowed for v in values)
    if need.kind is Kind.RANGE:
        low, high = _interval(have)
        need_low, need_high = _interval(need)
        return _within(low, need_low, lower=True) and _within(high, need_high, lower=False)
    return False


def _values(pred: Predicate) -> list[Any] | None:
    if pred.kind is Kind.EQ and pred.ops[0][0] == "$eq":
        return [pred.ops[0][1]]
    if pred.kind is Kind.IN:
        return list(pred.ops[0][1])
    return None


Bound = tuple[Any, bool] | None


def _interval(pred: Predicate) -> tuple[Bound, Bound]:
    values = _values(pred)
    if values is not None and len(values) == 1:
        return (values[0], False), (values[0], False)
    low: Bound = None
    high: Bound = None
    if pred.kind is Kind.RANGE:
        for op, value in pred.ops:
            if op in ("$gt", "$gte"):
                low = (value, op == "$gt")
            else:
                high = (value, op == "$lt")
    return low, high


def _within(have: Bound, need: Bound, *, lower: bool) -> bool:
    if need is None:
        return True
    if have is None:
        return False
    (value, strict), (limit, need_strict) = have, need
    try:
        if value == limit:
            return strict or not need_strict
        return bool(value > limit) if lower else bool(value < limit)
    except TypeError:
        return False


def is_selective(pred: Predicate) -> bool:
    """True when the predicate can bound an index scan to a small part of the index."""
    return pred.kind in BOUNDING or pred.kind is Kind.GEO


def not_selective_reasons(shape: Shape) -> list[str]:
    """Why the filter's predicates cannot narrow an index scan, for messages."""
    out: list[str] = []
    for path, preds in shape.predicates.items():
        if any(is_selective(p) for p in preds):
            continue
        for pred in preds:
            if pred.kind is Kind.REGEX_SCAN:
                out.append(f"$regex on {path!r} is not anchored with ^ or is case-insensitive")
            elif pred.kind is Kind.NEG or pred.kind in (Kind.EXISTS, Kind.MISSING):
                out.append(f"{pred.operator} on {path!r} is not selective")
    out.extend(f"{op} cannot use an index" for op in shape.opaque)
    return out


@dataclass
class Plan:
    """Every index's fit for one query shape, and what the planner can make of them together."""

    shape: Shape
    sort: list[tuple[str, int]]
    fits: list[Fit]
    branch_plans: list[Plan] = field(default_factory=list)

    @property
    def usable(self) -> list[Fit]:
        """Fits of the indexes the planner may use at all."""
        return [f for f in self.fits if f.usable]

    @property
    def serves_filter(self) -> bool:
        """True when an index bounds the scan (for ``$or``: when every branch is bounded)."""
        if any(f.serves_filter for f in self.usable):
            return True
        return bool(self.branch_plans) and all(p.serves_filter for p in self.branch_plans)

    @property
    def selective(self) -> bool:
        """True when some predicate could narrow a scan at all."""
        if self.shape.text or self.branch_plans:
            return True
        return any(is_selective(p) for preds in self.shape.predicates.values() for p in preds)

    @property
    def served(self) -> bool:
        """True when the query does not scan the whole collection."""
        if self.serves_filter:
            return True
        return self.shape.empty and bool(self.sort) and any(f.serves_sort for f in self.usable)

    @property
    def sort_served(self) -> bool:
        """True when an index returns the documents already sorted (no blocking in-memory sort)."""
        if not self.sort:
            return True
        if self.selective:
            return any(f.serves_filter and f.serves_sort for f in self.usable)
        return any(f.serves_sort for f in self.usable)

    @property
    def point(self) -> bool:
        """True when equality on every field of a usable unique index makes this a one-document lookup."""
        for f in self.usable:
            if f.index.unique and all(
                any(p.kind is Kind.EQ for p in self.shape.predicates.get(path, [])) for path in f.index.fields
            ):
                return True
        return False

    def esr_problem(self) -> tuple[Index, str] | None:
        """The index and reason when the indexes that serve most of the query all break the ESR order."""
        serving = [f for f in self.usable if f.serves_filter]
        if not serving:
            return None
        widest = max(f.covered for f in serving)
        best = [f for f in serving if f.covered == widest]
        if any(f.esr for f in best):
            return None
        worst = best[0]
        return worst.index, worst.esr_problem or "keys are not in equality, sort, range order"

    def why_not(self) -> list[str]:
        """Why no index serves the filter, for messages."""
        reasons = not_selective_reasons(self.shape)
        for f in self.fits:
            first = f.index.fields[0]
            if first in self.shape.predicates and f.reason and (not f.usable or not f.serves_filter):
                reasons.append(f"index {f.index.name!r} cannot be used: {f.reason}")
        return reasons


def plan(
    shape: Shape,
    sort: list[tuple[str, int]],
    collation: Collation | None,
    indexes: list[Index],
    fields: Fields,
    conditions: dict[str, Shape] | None = None,
) -> Plan:
    """Fit every index to the shape; ``$or`` branches are planned separately, with the shared predicates.

    ``conditions`` maps index names to their analysed ``partialFilterExpression`` (computed once per collection).
    Indexes with no field in the filter or the sort cannot matter and are left out of the plan.
    """
    conditions = conditions or {}
    keys = set(shape.predicates) | {f for f, _ in sort}
    relevant = [ix for ix in indexes if ix.special or not ix.field_set.isdisjoint(keys)]
    result = Plan(shape, sort, [fit(ix, shape, sort, collation, fields, conditions.get(ix.name)) for ix in relevant])
    for branch in shape.branches:
        merged = Shape()
        merged.merge(branch)
        for preds in shape.predicates.values():
            for pred in preds:
                merged.add(pred)
        result.branch_plans.append(plan(merged, [], collation, indexes, fields, conditions))
    return result
