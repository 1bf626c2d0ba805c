"""SLA rules: the source article's table, thresholds configurable.

==========================================  ===============================================
watched                                      when breached
==========================================  ===============================================
payment -> pick over ``pick_sla_h``           yellow alert; notify the warehouse supervisor,
                                             who prioritises the order after a response delay
                                             (as many per interval as the team can answer)
visible stock swings more than ``stock_swing``  pause the running promotion on that product
                                             for ``promotion_pause_h``
no tracking update for ``tracking_gap_h``     red alert; open a claims pre-review
not picked ``transfer_lead_h`` before its    red alert; transfer to the backup warehouse
ship-by deadline                             at once
==========================================  ===============================================

The article's "payment -> shipment under 2 h" is read as payment -> picked: carriers collect once
a day at the cut-off, so shipment itself can never be that fast here. Its 2 h is not the default:
orders placed after the last shift wait ~3 h for the next one (baseline pick wait p99 3.3 h, storm
5.8 h), so 2 h flagged ~45-58% of live-stream orders and queued thousands of notifications no
supervisor could answer. 8 h flags what is exceptional (live-stream p95 8.6 h), and the team is
notified only of as many orders as it can handle before the next inspection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.monitoring.signals import StockSwing, newly, order_signals
from scenarios.checks import count, non_negative, positive_or_never
from scenarios.world import World
from sim.engine.contract import EngineActions, MonitorView

YELLOW, RED = 2, 3


@dataclass
class SlaRulesMonitoring:
    name: str = "sla_rules"
    interval_h: float = 0.5
    team_size: int = 2  # warehouse supervisors answering notifications
    response_h: float = 0.05  # supervisor time per notified order
    pick_sla_h: float = 8.0  # the article's 2 h flags every overnight order (see docstring)
    stock_swing: float = 0.15
    promotion_pause_h: float = 2.0
    tracking_gap_h: float = 24.0
    transfer_lead_h: float = 24.0

    def __post_init__(self) -> None:
        positive_or_never("interval_h", self.interval_h)
        count("team_size", self.team_size, 1)  # slow picks go to the supervisors: one at least
        for name in (
            "response_h",
            "pick_sla_h",
            "stock_swing",
            "promotion_pause_h",
            "tracking_gap_h",
            "transfer_lead_h",
        ):
            non_negative(name, getattr(self, name))

    def notify_capacity(self) -> int:
        """Orders the supervisors can handle per inspection interval."""
        if self.response_h <= 0:
            return np.iinfo(np.int64).max
        return max(1, int(self.team_size * self.interval_h / self.response_h))

    def start(self, world: World, seed: int) -> None:
        self._swing = StockSwing()
        self._mix = {b.name: b.product_mix > 0 for b in world.demand.bursts}

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        s = order_signals(view)
        slow_mask = s.not_picked & (s.waiting_h > self.pick_sla_h) & (s.open.alert_level < YELLOW)
        slow = s.open.order_id[slow_mask]
        if len(slow):
            actions.alert(slow, "yellow")
            # the supervisors get what they can answer before the next inspection, most urgent
            # (earliest ship-by) first; the rest stay on the board as yellow alerts
            urgent = slow[np.argsort(s.ship_by_h[slow_mask], kind="stable")]
            actions.notify(urgent[: self.notify_capacity()], "prioritise", self.response_h)
        silent = newly(s, s.tracking_silence_h > self.tracking_gap_h, RED)
        if len(silent):
            actions.alert(silent, "red")
            actions.open_claim(silent)
        due = s.not_picked & (s.now_h > s.ship_by_h - self.transfer_lead_h)
        overdue = newly(s, due, RED)
        if len(overdue):
            actions.alert(overdue, "red")
            actions.transfer(overdue)  # the article: alert AND trigger the transfer
        swing = self._swing.update(view.visible_stock())
        swinging = (swing > self.stock_swing).any(axis=0)  # by product
        for name, (running, paused_until) in view.promotions().items():
            if running and np.isnan(paused_until) and (swinging & self._mix[name]).any():
                actions.pause_promotion(name, self.promotion_pause_h)
