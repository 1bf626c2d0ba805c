"""Which of the orders a what-if names it acts on, and why it leaves the others.

"Expedite the 608 red orders by air" misleads a planner when 149 of them are already on the
road: an expedite cannot change a parcel in transit. A what-if that names orders (expedite,
move) therefore decides per listed order, once, either to act on it or the first reason it
cannot, in the domain's words; the variant applies exactly that decision
(:mod:`sim.nowcast.variants`) and the now-cast's summary counts it (:func:`counted`), so the
counts and the change cannot come from two readings of the snapshot.

Reasons, in the order a what-if checks them:

- ``past_promise``: ``--savable-only`` and the order is already past its promise;
- a stage of the snapshot (``docs/snapshot.md``) the what-if cannot act on: ``created`` and
  ``held`` (not yet routed), ``rerouting`` (an expedite: its routing chooses the mode again),
  ``picking``, ``at_dock`` (a move: already in a picker's hands), ``in_transit``;
- ``not_yet_routed``: a move of a re-routing order with no warehouse yet;
- ``already_by_mode``: an expedite of an order already going by that mode;
- ``already_at_target``: a move of an order already at that warehouse;
- ``region_not_served``: a move to a warehouse that does not serve the order's region;
- ``no_stock_at_target``: a move whose units the target's stock, as the OMS sees it, no longer
  holds (taken in the list's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from scenarios.world import World
from sim.engine.snapshot_state import STAGES, SnapshotState

ACTED = ""  # the reason of an order the what-if acts on: none
REASONS = (  # every reason a what-if may give, in the order the what-ifs check them
    "past_promise",
    *(stage for stage in STAGES if stage not in ("backordered", "queued")),
    "not_yet_routed",
    "already_by_mode",
    "already_at_target",
    "region_not_served",
    "no_stock_at_target",
)


@dataclass(frozen=True)
class Decision:
    """Per listed order (in the list's order): its row in the snapshot and why the what-if
    leaves it (:data:`ACTED`: it acts on it)."""

    rows: np.ndarray
    reason: np.ndarray

    @property
    def acted_rows(self) -> np.ndarray:
        return self.rows[self.reason == ACTED]

    def acted_mask(self, n_orders: int) -> np.ndarray:
        """Per snapshot order: True where the what-if acts on it."""
        mask = np.zeros(n_orders, dtype=bool)
        mask[self.acted_rows] = True
        return mask

    def counts(self) -> dict[str, Any]:
        """``listed``, ``acted_on`` and ``not_acted_on`` by reason (only reasons that occur, in
        the order of :data:`REASONS`)."""
        left = [str(r) for r in self.reason if r != ACTED]
        not_acted = {r: left.count(r) for r in sorted(set(left), key=REASONS.index)}
        listed = len(self.rows)
        return {"listed": listed, "acted_on": listed - len(left), "not_acted_on": not_acted}


class Deciding(Protocol):
    """A what-if on listed orders: it decides per order, then applies that decision."""

    def decide(self, world: World, state: SnapshotState) -> Decision: ...

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]: ...


def listed_rows(order_ids: Sequence[int], state: SnapshotState) -> np.ndarray:
    """The snapshot rows of ``order_ids``, in their order (each must be open in the snapshot:
    the command refuses others before any run)."""
    ids = state.orders["order_id"]
    order = np.argsort(ids, kind="stable")
    wanted = np.asarray(order_ids, dtype=np.int64)
    at = np.searchsorted(ids, wanted, sorter=order)
    found = at < len(ids)
    found[found] = ids[order[at[found]]] == wanted[found]
    if not found.all():
        raise ValueError(f"order {int(wanted[~found][0])} is not open in the snapshot")
    return order[at]


def first_reasons(n: int, checks: Sequence[tuple[str, np.ndarray]]) -> np.ndarray:
    """Per order, the first reason whose mask holds (checked in order); :data:`ACTED` where
    none does."""
    reason = np.full(n, ACTED, dtype=object)
    for name, blocked in checks:
        if name not in REASONS:
            raise ValueError(f"{name!r} is not a reason of {__name__}.REASONS")
        reason[(reason == ACTED) & blocked] = name
    return reason


def stage_reasons(stage: np.ndarray, allowed: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """One check per stage a what-if cannot act on, named by the stage."""
    return [(name, stage == code) for code, name in enumerate(STAGES) if name not in allowed]


def counted(variant: Deciding, world: World, state: SnapshotState) -> dict[str, Any]:
    """The variant's decision counted, after checking it against what applying the variant
    changes: exactly the orders it acts on, and the counts add up. A miscount is a bug, not
    bad input: it stops the now-cast."""
    decision = variant.decide(world, state)
    counts = decision.counts()
    _, after = variant(world, state)
    changed = _changed_rows(state.orders, after.orders)
    acted = decision.acted_mask(state.n_orders)
    if not np.array_equal(changed, acted):
        raise RuntimeError(
            f"what-if counted {int(acted.sum())} orders acted on but changed "
            f"{int(changed.sum())} ({int((changed != acted).sum())} differ)"
        )
    if counts["listed"] != counts["acted_on"] + sum(counts["not_acted_on"].values()):
        raise RuntimeError(f"what-if counts do not add up: {counts}")
    return counts


def _changed_rows(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> np.ndarray:
    """Per order: True where any of its columns differs (NaN equal to NaN)."""
    changed = np.zeros(len(before["order_id"]), dtype=bool)
    for name, old in before.items():
        new = after[name]
        if np.issubdtype(old.dtype, np.floating):
            changed |= ~((old == new) | (np.isnan(old) & np.isnan(new)))
        else:
            changed |= old != new
    return changed
