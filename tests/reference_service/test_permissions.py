"""The permission table is the one source: the contract's roles, the gate and the handlers all follow it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter
from feedchat.guard import UnguardedOperation, check_routes
from feedchat.permissions import (
    OPERATIONS,
    ROLE_PERMISSIONS,
    NotDeclared,
    Permission,
    may_act_on,
    operation_roles,
    permissions_of,
    required,
)

from .drift import contract_operations


def test_every_contract_operation_is_in_the_table(document: dict[str, Any]) -> None:
    assert {op for _, _, op in contract_operations(document)} == set(OPERATIONS)


def test_contract_roles_match_the_table(document: dict[str, Any]) -> None:
    for (_, _, name), op in contract_operations(document).items():
        roles = operation_roles(name)
        if not roles:
            assert op.get("security") == [], f"{name} is public in the table but not in the contract"
            assert "x-roles" not in op
            continue
        assert op.get("x-roles") == roles, name
        assert op.get("security") == [{"bearerAuth": roles}], name


def test_roles_only_add_permissions() -> None:
    assert ROLE_PERMISSIONS["member"] < ROLE_PERMISSIONS["moderator"] < ROLE_PERMISSIONS["admin"]
    assert set().union(*ROLE_PERMISSIONS.values()) == set(Permission)


def test_deny_by_default() -> None:
    assert permissions_of([]) == frozenset()
    assert permissions_of(["root", "superuser"]) == frozenset()
    with pytest.raises(NotDeclared):
        required("dropDatabase")


def test_object_level_rule() -> None:
    assert may_act_on("alice", "alice", ["member"])
    assert not may_act_on("alice", "bob", ["member"], Permission.MESSAGE_DELETE_ANY)
    assert may_act_on("alice", "mod", ["moderator"], Permission.MESSAGE_DELETE_ANY)
    assert not may_act_on("alice", "mod", ["moderator"])


def test_an_operation_missing_from_the_table_stops_the_app() -> None:
    router = APIRouter()

    @router.get("/v1/secret", name="readSecret")
    def read_secret() -> dict[str, str]:
        return {}

    with pytest.raises(UnguardedOperation, match="readSecret"):
        check_routes([router])
