"""Order health score with blue / yellow / red alerts, each level its own response.

Each open order gets a score in [0, 1]: a weighted mean of risk signals, each scaled to [0, 1]:
age (before shipping against its ship-by deadline, in transit how far past the carrier's
expected delivery it is), backlog (before shipping its warehouse's pick backlog, in transit how
far past its promise it is expected to arrive), a forecast storm on its lane, tracking
silence, and stock risk (back-ordered).
So an order keeps being watched once it ships, and a silent parcel past its due date — a lost one
goes silent — turns red. Yellow orders are handled automatically at once: transferred to a less
loaded backup warehouse where one exists, and prioritised. Red orders go to the human team (a
limited resource with response times): unshipped express ones are expedited to the fastest mode,
other unshipped ones transferred; shipped ones get a claims pre-review (contact, and a lost
parcel replaced at once). Blue is logged only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from policies.monitoring.signals import OrderSignals, order_signals
from scenarios.checks import count, non_negative, positive, positive_or_never, probability
from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import EngineActions, MonitorView

BLUE, YELLOW, RED = 1, 2, 3
WEIGHTS = ("weight_age", "weight_backlog", "weight_weather", "weight_tracking", "weight_stock")


@dataclass
class HealthScoreMonitoring:
    name: str = "health_score"
    interval_h: float = 0.5
    team_size: int = 3  # people who take red alerts
    response_h: float = 0.1  # person-hours per red order
    blue_at: float = 0.35
    yellow_at: float = 0.5
    red_at: float = 0.7
    weight_age: float = 0.45
    weight_backlog: float = 0.2
    weight_weather: float = 0.1
    weight_tracking: float = 0.15
    weight_stock: float = 0.1
    backlog_scale_h: float = 12.0  # backlog at which the backlog signal saturates
    overdue_scale_h: float = 24.0  # in transit: hours past the carrier's estimate that saturate
    tracking_scale_h: float = 24.0  # tracking silence that saturates (SLA rules: 24 h)
    expedite_mode: str = "air"

    def __post_init__(self) -> None:
        positive_or_never("interval_h", self.interval_h)
        count("team_size", self.team_size, 1)  # red alerts go to the team: someone must answer
        non_negative("response_h", self.response_h)
        lowest = 0.0
        for name in ("blue_at", "yellow_at", "red_at"):
            value = getattr(self, name)
            probability(name, value)
            if value <= 0 or value < lowest:
                raise ConfigError(
                    name,
                    f"a score in (0, 1] and >= {lowest:g} (blue_at <= yellow_at <= red_at)",
                    value,
                )
            lowest = value
        for name in WEIGHTS:
            non_negative(name, getattr(self, name))
        if sum(getattr(self, name) for name in WEIGHTS) <= 0:
            raise ConfigError(WEIGHTS[0], "weights >= 0, not all 0", 0.0)
        positive("backlog_scale_h", self.backlog_scale_h)
        positive("tracking_scale_h", self.tracking_scale_h)
        positive("overdue_scale_h", self.overdue_scale_h)

    def world_names(self) -> Iterable[tuple[str, str, Any]]:
        return [("expedite_mode", "modes", self.expedite_mode)]

    def start(self, world: World, seed: int) -> None:
        weights = np.array([getattr(self, name) for name in WEIGHTS])
        self._weights = weights / weights.sum()
        world.mode_index(self.expedite_mode)

    def score(self, view: MonitorView) -> tuple[OrderSignals, np.ndarray]:
        """The open orders' signals and their health score in [0, 1] (1 = most at risk)."""
        s = order_signals(view)
        o = s.open
        window = np.maximum(s.ship_by_h - o.created_h, 1.0)
        overdue = np.nan_to_num(s.overdue_h)
        # in transit: age against the carrier's estimate, backlog as hours expected past the
        # promise (the estimate, or now once it has passed)
        age = np.where(
            s.in_transit,
            overdue / self.overdue_scale_h,
            np.where(s.unshipped, (s.now_h - o.created_h) / window, 0.0),
        )
        past_promise = s.now_h + np.maximum(-overdue, 0.0) - o.promised_h
        load = np.where(
            s.in_transit,
            past_promise / self.backlog_scale_h,
            np.where(s.unshipped, s.backlog_h / self.backlog_scale_h, 0.0),
        )
        age, backlog = np.clip(age, 0, 1), np.clip(load, 0, 1)
        weather = s.storm_on_lane.astype(float)
        tracking = np.clip(np.nan_to_num(s.tracking_silence_h) / self.tracking_scale_h, 0, 1)
        stock = s.backordered.astype(float)
        signals = np.stack([age, backlog, weather, tracking, stock], axis=1)
        return s, signals @ self._weights

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        s, score = self.score(view)
        ids, current, unshipped = s.open.order_id, s.open.alert_level, s.unshipped
        express = s.open.urgent
        levels = np.select(
            [score >= self.red_at, score >= self.yellow_at, score >= self.blue_at],
            [RED, YELLOW, BLUE],
            0,
        )
        for level, name in ((BLUE, "blue"), (YELLOW, "yellow"), (RED, "red")):
            new = (levels == level) & (current < level)
            if new.any():
                actions.alert(ids[new], name)
        yellow = (levels == YELLOW) & (current < YELLOW)
        actions.transfer(ids[yellow & s.not_picked])
        actions.prioritise(ids[yellow & s.not_picked])
        red = (levels == RED) & (current < RED)
        if (red & unshipped).any():
            actions.notify(
                ids[red & unshipped & express], then="expedite", handling_h=self.response_h
            )
            actions.notify(
                ids[red & unshipped & ~express], then="transfer", handling_h=self.response_h
            )
        if (red & ~unshipped).any():
            actions.open_claim(ids[red & ~unshipped])
