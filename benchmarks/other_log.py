"""A synthetic stand-in for issue 13's "other log": a retailer's export with its own habits.

    python benchmarks/other_log.py OUT.csv [--orders 60000] [--seed 1] [--time-style us|iso]

Not a copy of any real data: a generator with the traits the issue found in the other log, so the
calibrate -> backtest walk can be run (and its fit checked against a known truth) before the real
one is. Three years (2015-01 to 2018-01), ~20 world regions or countries (not state codes; one
with 3 orders), four customer-chosen shipping classes that are also the carrier services
(standard 4 days, second 2, first 1, same day 0 — the export adds whole days to the order time),
first class always exactly 48 h in transit, naive local times written the US way
(``1/31/2018 22:56``), the shop's own status words in mixed case with stray spaces, 4.4%
cancellations (``CANCELED``, ``SUSPECTED_FRAUD``) with blank warehouse, mode and times, a few
order ids written twice (some identical, some not), volume falling ~60% over the last four months,
no pickup hour (ship times spread over the day), and a ``cost`` column (pick/pack plus a price per
service). Writes ``OUT.truth.json`` beside the log with what a fit should find.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

ZONE = "America/Chicago"
START, END = "2015-01-01", "2018-02-01"  # orders created in [START, END)
FALL_FROM = "2017-10-01"  # the level falls linearly from here to 40% at END
FALL_TO = 0.4
CLASSES = {  # name: (share, promise days, transit kind, transit mean h, transit sd h, price USD)
    "Standard Class": (0.60, 4, "gamma", 70.0, 24.0, 5.0),
    "Second Class": (0.20, 2, "gamma", 40.0, 12.0, 8.0),
    "First Class": (0.15, 1, "constant", 48.0, 0.0, 12.0),
    "Same Day": (0.05, 0, "gamma", 6.0, 3.0, 20.0),
}
HANDLING_H = (20.0, 10.0)  # created -> shipped, lognormal mean and sd (Same Day: a tenth)
PICK_PACK_USD, EXTRA_ITEM_USD = 3.0, 0.5  # the baseline template's charges, so prices come out
CANCEL = {"CANCELED": 0.021, "SUSPECTED_FRAUD": 0.023}  # 4.4% in all
DELIVERED_WORDS = {"COMPLETE": 0.7, "CLOSED": 0.3}
OPEN_WORDS = ("PENDING", "PROCESSING", "PENDING_PAYMENT", "PAYMENT_REVIEW", "ON_HOLD")
STUCK_P = 0.003  # orders left ON_HOLD / PAYMENT_REVIEW mid-log, never shipped
STATUS_MAP = (
    "complete=delivered,closed=delivered,pending=open,processing=open,pending_payment=open,"
    "payment_review=open,on_hold=open,canceled=cancelled,suspected_fraud=cancelled"
)
REGIONS = {  # region: (weight, warehouse)
    "Western Europe": (15.0, "Rotterdam"),
    "Central America": (15.5, "Miami"),
    "South America": (8.0, "Miami"),
    "Northern Europe": (5.5, "Rotterdam"),
    "Southern Europe": (5.2, "Rotterdam"),
    "Oceania": (5.5, "Singapore"),
    "Southeast Asia": (5.0, "Singapore"),
    "South Asia": (4.0, "Singapore"),
    "Eastern Asia": (3.9, "Singapore"),
    "West Asia": (3.2, "Rotterdam"),
    "Eastern Europe": (2.8, "Rotterdam"),
    "Caribbean": (4.3, "Miami"),
    "West of USA": (4.3, "Miami"),
    "US Center": (3.3, "Miami"),
    "East of USA": (3.6, "Miami"),
    "South of  USA": (2.2, "Miami"),  # the double space is the export's
    "West Africa": (1.7, "Rotterdam"),
    "North Africa": (1.7, "Rotterdam"),
    "East Africa": (0.9, "Rotterdam"),
    "Canada": (0.5, "Miami"),
}
TINY_REGION = ("Central Asia", "Singapore", 3)  # a region with 3 orders
DUPLICATES, CONFLICTS = 25, 6  # rows written twice as they are / with another value


def _level(days: pd.DatetimeIndex) -> np.ndarray:
    """Relative daily level: flat, a mild weekly rhythm, then a 60% fall over the last months."""
    level = np.ones(len(days))
    level *= np.array([1.05, 1.0, 1.0, 1.0, 1.05, 0.95, 0.95])[days.day_of_week]
    fall = np.asarray(days >= pd.Timestamp(FALL_FROM))
    span = (pd.Timestamp(END) - pd.Timestamp(FALL_FROM)).days
    into = (days[fall] - pd.Timestamp(FALL_FROM)).days.to_numpy() / span
    level[fall] *= 1.0 - (1.0 - FALL_TO) * into
    return level


def _gamma(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    shape = (mean / sd) ** 2
    return rng.gamma(shape, mean / shape, n)


def _lognormal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    sigma2 = np.log1p((sd / mean) ** 2)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)


def _written(times: pd.Series, style: str) -> pd.Series:
    """Local wall-clock times, naive, as the export writes them (blank for NaT)."""
    local = times.dt.tz_convert(ZONE).dt.tz_localize(None)
    if style == "iso":
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S")
    else:  # 1/31/2018 22:56: no zero padding, minutes only
        text = (
            local.dt.month.astype("Int64").astype(str)
            + "/"
            + local.dt.day.astype("Int64").astype(str)
            + "/"
            + local.dt.year.astype("Int64").astype(str)
            + " "
            + local.dt.hour.astype("Int64").astype(str)
            + ":"
            + local.dt.strftime("%M")
        )
    return text.where(times.notna(), "")


def _class_truth(
    name: str, level: np.ndarray, transit: np.ndarray, late: np.ndarray, delivered: np.ndarray
) -> dict:
    share, days, kind, mean, sd, price = CLASSES[name]
    mine = level == name
    return {
        "share": round(float(mine.mean()), 4),
        "promise_h": 24.0 * days,
        "transit": "constant 48 h" if kind == "constant" else f"gamma mean {mean} sd {sd}",
        "transit_mean_h": round(float(transit[mine & delivered].mean()), 2),
        "price_usd": price,
        "late_rate": round(float(late[mine].sum() / (mine & delivered).sum()), 4),
    }


def generate(orders: int, seed: int, style: str = "us") -> tuple[pd.DataFrame, dict]:
    """The log as the export writes it, and the truth a fit should recover."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, END, freq="D", inclusive="left")
    level = _level(days)
    counts = rng.poisson(level * orders / level.sum())
    day = np.repeat(days.to_numpy(), counts)
    n = len(day)
    # flat over the day: minute resolution, local wall clock
    minute = rng.integers(0, 24 * 60, n)
    wall = pd.Series(pd.to_datetime(day) + pd.to_timedelta(minute, unit="min"))
    created = wall.dt.tz_localize(ZONE, ambiguous=False, nonexistent="shift_forward")
    created = created.dt.tz_convert("UTC").sort_values(ignore_index=True)
    names = list(CLASSES)
    level_name = rng.choice(names, n, p=[CLASSES[c][0] for c in names])
    weights = np.array([w for w, _ in REGIONS.values()])
    region = rng.choice(list(REGIONS), n, p=weights / weights.sum()).astype(object)
    tiny = rng.choice(n, TINY_REGION[2], replace=False)
    region[tiny] = TINY_REGION[0]
    home = {**{r: wh for r, (_, wh) in REGIONS.items()}, TINY_REGION[0]: TINY_REGION[1]}
    warehouse = np.array([home[r] for r in region], dtype=object)
    same_day = level_name == "Same Day"
    handling = _lognormal(rng, *HANDLING_H, n)
    handling[same_day] = _lognormal(rng, HANDLING_H[0] / 10, HANDLING_H[1] / 10, same_day.sum())
    transit = np.empty(n)
    for name, (_, _, kind, mean, sd, _) in CLASSES.items():
        mine = level_name == name
        transit[mine] = mean if kind == "constant" else _gamma(rng, mean, sd, int(mine.sum()))
    promise_d = np.array([CLASSES[c][1] for c in level_name])
    shipped = created + pd.to_timedelta(np.round(handling * 60), unit="min")
    delivered = shipped + pd.to_timedelta(np.round(transit * 60), unit="min")
    promised = created + pd.to_timedelta(promise_d, unit="D")
    items = rng.choice([1, 2, 3, 4, 5], n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    price = np.array([CLASSES[c][5] for c in level_name])
    cost = PICK_PACK_USD + EXTRA_ITEM_USD * (items - 1) + price + rng.uniform(-0.4, 0.4, n)
    value = np.round(_lognormal(rng, 180.0, 120.0, n), 2)

    status = rng.choice(list(DELIVERED_WORDS), n, p=list(DELIVERED_WORDS.values())).astype(object)
    u = rng.random(n)
    cancelled = u < sum(CANCEL.values())
    status[cancelled] = np.where(u[cancelled] < CANCEL["CANCELED"], *CANCEL)
    stuck = ~cancelled & (rng.random(n) < STUCK_P)
    status[stuck] = rng.choice(["ON_HOLD", "PAYMENT_REVIEW"], int(stuck.sum()))
    last = created.max()
    in_flight = ~cancelled & ~stuck & (delivered > last).to_numpy()
    status[in_flight] = rng.choice(OPEN_WORDS, int(in_flight.sum()))
    not_shipped = cancelled | stuck | (in_flight & (shipped > last).to_numpy())
    shipped = shipped.where(~not_shipped)
    delivered = delivered.where(~(cancelled | stuck | in_flight))
    # stray case and whitespace, as hand-kept exports have
    messy = rng.random(n) < 0.01
    status[messy] = [rng.choice([s.lower(), f" {s}", f"{s.title()} "]) for s in status[messy]]

    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1) * 7 + 10_000,
            "created_at": _written(created, style),
            "region": region,
            "value": value,
            "items": items,
            "service_level": level_name,
            "promised_at": _written(promised, style),
            "warehouse": np.where(cancelled | stuck, "", warehouse),
            "mode": np.where(cancelled | stuck, "", level_name),
            "shipped_at": _written(shipped, style),
            "delivered_at": _written(delivered, style),
            "status": status,
            "cost": np.where(cancelled | stuck, np.nan, np.round(cost, 2)),
        }
    )
    twice = rng.choice(n, DUPLICATES + CONFLICTS, replace=False)
    again = frame.iloc[twice].copy()
    again.iloc[DUPLICATES:, again.columns.get_loc("value")] += 1.0  # same id, another value
    frame = pd.concat([frame, again]).sort_index(kind="stable").reset_index(drop=True)

    delivered_ok = ~cancelled & ~stuck & ~in_flight
    late = delivered_ok & (delivered > promised).to_numpy()
    local_month = created.dt.tz_convert(ZONE).dt.strftime("%Y-%m")
    truth = {
        "orders_written": int(len(frame)),
        "orders": n,
        "duplicate_rows": DUPLICATES,
        "conflicting_ids": CONFLICTS,
        "timezone": ZONE,
        "time_format": "%m/%d/%Y %H:%M" if style == "us" else "ISO-8601",
        "status_map": STATUS_MAP,
        "cancel_share": round(float(cancelled.mean()), 4),
        "handling_mean_h": round(float(handling[~cancelled & ~stuck].mean()), 2),
        "handling_p90_h": round(float(np.quantile(handling[~cancelled & ~stuck], 0.9)), 2),
        "late_rate": round(float(late.sum() / delivered_ok.sum()), 4),
        "pickups": "none (ship times spread over the day)",
        "hour_of_day": "flat",
        "classes": {
            name: _class_truth(name, level_name, transit, late, delivered_ok) for name in CLASSES
        },
        "region_share": {
            r: round(float((region == r).mean()), 6) for r in [*REGIONS, TINY_REGION[0]]
        },
        "monthly_orders": {
            str(k): int(v) for k, v in local_month.value_counts().sort_index().items()
        },
    }
    return frame, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-style", choices=("us", "iso"), default="us")
    args = parser.parse_args()
    frame, truth = generate(args.orders, args.seed, args.time_style)
    frame.to_csv(args.out, index=False)
    args.out.with_suffix(".truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(f"{args.out}: {len(frame):,} rows; truth in {args.out.with_suffix('.truth.json')}")


if __name__ == "__main__":
    main()
