"""The regression guard: a fixed set of short runs must give the pinned results.

A change meant to alter results regenerates the hashes with ``python -m tests.regression
--write`` and says why in that commit; any other change must leave them alone.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.regression import HASHES_FILE, cases, fingerprint, run_case

PINNED = json.loads(HASHES_FILE.read_text())


def test_every_case_is_pinned() -> None:
    assert sorted(PINNED) == sorted(cases())


@pytest.mark.parametrize("name", sorted(cases()))
def test_results_match_the_pinned_hashes(name: str) -> None:
    assert run_case(cases()[name]) == PINNED[name], (
        f"{name}: results changed. If that is meant, regenerate with "
        "`python -m tests.regression --write` and give the reason in the commit."
    )


def test_fingerprint_sees_a_changed_value_but_not_a_changed_dtype() -> None:
    from tests.helpers import run_config

    result = run_config("horizon_days=2", "warmup_days=1", "progress=false")
    base = fingerprint(result.orders, result.kpis)
    orders = dict(result.orders)
    orders["items"] = orders["items"].astype(np.int16)  # storage only
    assert fingerprint(orders, result.kpis) == base
    nudged = orders["delivered_h"].copy()
    nudged[np.flatnonzero(~np.isnan(nudged))[0]] += 1e-6
    assert fingerprint({**orders, "delivered_h": nudged}, result.kpis)["orders"] != base["orders"]
    kpis = {**result.kpis, "cost_per_order": result.kpis["cost_per_order"] + 1e-6}
    assert fingerprint(orders, kpis)["kpis"] != base["kpis"]
