"""The regression guard: a small fixed set of runs whose decoded results are pinned by hash.

Each case is a short run (4 days, 1 of warm-up) composed from the packaged config, as the CLI
would run it. Its fingerprint is a SHA-256 over the *decoded values* of a fixed list of order
columns (floats rounded to 1e-9, names as text, NaN as its own token) and over the KPIs, so a
change of storage (dtypes, file format, column order) leaves it alone while any change of what
the model computes moves it.

The pinned hashes live in ``tests/regression_hashes.json``. Only a change *meant* to alter
results may regenerate them, with the reason in that commit:

    python -m tests.regression --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

HASHES_FILE = Path(__file__).with_name("regression_hashes.json")
MODEL_FIXTURE = Path(__file__).with_name("fixtures") / "predictive_small.npz"
NAN_TOKEN = -1.2345e300  # NaN has many bit patterns; hash one token instead
RUN = ("horizon_days=4", "warmup_days=1", "progress=false")

ORDER_COLUMNS = (
    "order_id",
    "created_h",
    "region",
    "product_class",
    "channel",
    "burst",
    "items",
    "value",
    "margin",
    "vip",
    "service_level",
    "promised_h",
    "warehouse",
    "mode",
    "zone",
    "routed_h",
    "queued_h",
    "pick_wait_h",
    "picked_h",
    "shipped_h",
    "delivered_h",
    "cancelled_h",
    "status",
    "late_h",
    "cost",
    "cost_pick_usd",
    "cost_transport_usd",
    "cost_exception_usd",
    "cost_monitoring_usd",
    "reroutes",
    "backordered",
    "transferred",
    "expedited",
    "prioritised",
    "lost",
    "storm_delay_h",
    "released_h",
    "held",
    "alert_level",
    "alert_first_h",
    "claim_h",
    "lost_declared_h",
    "notified_h",
    "notice_handled_h",
    "promoter_p",
    "detractor_p",
    "return_p",
    "co2e_kg",
)

SCENARIOS = ("baseline", "livestream", "mmc", "peak_season", "storm", "sync_lag")
ROUTINGS = ("nearest", "cheapest", "rules", "value_tiered", "predictive", "pilot")
MONITORINGS = ("none", "sla_rules", "health_score")


def cases() -> dict[str, tuple[str, ...]]:
    """Case name -> overrides: every scenario under nearest/none, every routing policy on storm
    and sync_lag, every monitoring policy on livestream."""
    out: dict[str, tuple[str, ...]] = {}
    for scenario in SCENARIOS:
        out[f"{scenario}-nearest-none"] = (f"scenario={scenario}",)
    for scenario in ("storm", "sync_lag"):
        for routing in ROUTINGS:
            extra = (f"routing.model_path={MODEL_FIXTURE}",) if routing == "predictive" else ()
            out[f"{scenario}-{routing}-none"] = (
                f"scenario={scenario}",
                f"routing={routing}",
                *extra,
            )
    for monitoring in MONITORINGS:
        out[f"livestream-nearest-{monitoring}"] = (
            "scenario=livestream",
            f"monitoring={monitoring}",
        )
    return out


def _decoded(values: np.ndarray) -> bytes:
    """Canonical bytes of a column's values, independent of its storage dtype."""
    if values.dtype.kind in "fiub":
        x = np.round(np.asarray(values, dtype=np.float64), 9) + 0.0  # -0.0 -> 0.0
        return np.where(np.isnan(x), NAN_TOKEN, x).tobytes()
    return "\x1f".join("" if v is None else str(v) for v in values.tolist()).encode()


def _kpi_text(kpis: Mapping[str, float]) -> str:
    def canon(v: float) -> object:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        return round(float(v), 9)

    return json.dumps({k: canon(v) for k, v in sorted(kpis.items())}, sort_keys=True)


def fingerprint(orders: Mapping[str, np.ndarray], kpis: Mapping[str, float]) -> dict[str, str]:
    """SHA-256 of the decoded order columns and of the KPIs (first 16 hex digits each)."""
    h = hashlib.sha256()
    for column in ORDER_COLUMNS:
        h.update(column.encode() + b"\x1e" + _decoded(np.asarray(orders[column])) + b"\x1d")
    return {
        "orders": h.hexdigest()[:16],
        "kpis": hashlib.sha256(_kpi_text(kpis).encode()).hexdigest()[:16],
    }


def run_case(overrides: tuple[str, ...]) -> dict[str, str]:
    from tests.helpers import run_config

    result = run_config(*RUN, *overrides)
    return fingerprint(result.orders, result.kpis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the pinned hashes")
    args = parser.parse_args()
    got = {name: run_case(overrides) for name, overrides in cases().items()}
    if args.write:
        HASHES_FILE.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
        print(f"wrote {len(got)} pinned hashes to {HASHES_FILE}")
        return
    pinned = json.loads(HASHES_FILE.read_text())
    changed = sorted(k for k in got if pinned.get(k) != got[k])
    print("\n".join(f"changed: {k}" for k in changed) or "all pinned hashes match")


if __name__ == "__main__":
    main()
