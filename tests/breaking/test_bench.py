"""The gate on real-world contracts, when a folder of them is given in ``HANDBOOK_BENCH_SPECS``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from checks.engines.breaking.diff import diff
from checks.engines.openapi.spec import HTTP_METHODS, Spec

FOLDER = os.environ.get("HANDBOOK_BENCH_SPECS")
NAMES = ["stripe-spec3.yaml", "discord-openapi.json", "twilio-twilio_serverless_v1.yaml"]

pytestmark = pytest.mark.skipif(not FOLDER, reason="HANDBOOK_BENCH_SPECS is not set to a folder of real-world specs")


@pytest.mark.parametrize("name", NAMES)
def test_self_diff_is_empty_and_one_removed_delete_is_all_that_is_reported(name: str) -> None:
    path = Path(FOLDER or "") / name
    if not path.is_file():
        pytest.skip(f"{name} is not in HANDBOOK_BENCH_SPECS")
    old, new = Spec.load(path), Spec.load(path)
    start = time.perf_counter()
    assert diff(old, new) == []
    self_time = time.perf_counter() - start

    target = next(p for p, item in new.data["paths"].items() if isinstance(item, dict) and "delete" in item)
    item = new.data["paths"][target]
    del item["delete"]
    if not any(m in item for m in HTTP_METHODS):
        del new.data["paths"][target]
    start = time.perf_counter()
    changes = diff(old, new)
    removal_time = time.perf_counter() - start
    assert [(c.category, c.operation) for c in changes] == [("operation-removed", f"DELETE {target}")]
    assert self_time < 10 and removal_time < 10, (self_time, removal_time)
