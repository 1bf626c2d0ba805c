"""The learned ("AI") router: predicted delivery time and late risk for every candidate.

For each order of an allocation wave and each (warehouse, mode) serving it, the model predicts
the delivery time; its residual distribution turns that into the probability of missing the
promise. The router picks the candidate with the lowest expected cost: transport + expected
stock-out re-route + P(late) x a lateness penalty weighted by the customer's value (VIP x2 by
default). It acts ahead of storms (forecast features, and pick priority for parcels heading into
one), and its pseudo-urgency classifier lets express orders from customers likely to be happy
later be judged against promise + ``pseudo_urgent_slack_h``, which saves needless air freight.

The router only *uses* a model (:class:`~policies.routing.router_model.RouterModel`), handed to
it before the run by the config layer: read from ``model_path``, or, with none, trained for the
scenario on ``training_seeds`` (disjoint from evaluation seeds) and cached by
:mod:`sim.learning`. Running on a training seed is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.routing.estimates import CandidateEstimates, NetworkPlan, estimate
from policies.routing.features import candidate_features
from policies.routing.router_model import CENSORED_TAIL_DAYS, RouterModel
from policies.routing.wave_ledger import decide_in_wave
from scenarios.checks import count, non_negative, probability
from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView

NOT_SERVED = np.iinfo(np.int64).max
MIN_TRAINING_DAYS = 14.0


@dataclass
class PredictiveRouting:
    name: str = "predictive"
    model_path: str | None = None
    training_seeds: list[int] = field(default_factory=lambda: [900_001, 900_002, 900_003])
    training_days: float = 28.0
    late_penalty_usd: float = 100.0  # lost future margin of a let-down customer (A)
    late_penalty_value_share: float = 0.3  # of order value (JD-style penalty)
    vip_weight: float = 2.0
    stockout_risk: float = 0.9
    pseudo_urgency_threshold: float = 0.7  # 1.0 switches the downgrade off
    pseudo_urgent_slack_h: float = 24.0
    max_detour_zones: int = 2  # candidates further than this beyond the nearest are not scored
    max_warehouses: int = 2  # nor more than this many warehouses per order
    model: RouterModel | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.training_days >= MIN_TRAINING_DAYS:  # NaN too
            raise ConfigError(
                "training_days",
                f"at least {MIN_TRAINING_DAYS:g} days (outcomes of the last "
                f"{CENSORED_TAIL_DAYS:g} are not known at the end of the history)",
                self.training_days,
            )
        for i, seed in enumerate(self.training_seeds):
            count(f"training_seeds[{i}]", seed, 0)
        if len(set(self.training_seeds)) < 2:  # residuals come from held-out seeds
            raise ConfigError("training_seeds", "two or more distinct seeds", self.training_seeds)
        for name in ("late_penalty_usd", "late_penalty_value_share", "vip_weight"):
            non_negative(name, getattr(self, name))
        for name in ("stockout_risk", "pseudo_urgency_threshold"):
            probability(name, getattr(self, name))
        non_negative("pseudo_urgent_slack_h", self.pseudo_urgent_slack_h)
        count("max_detour_zones", self.max_detour_zones, 0)
        count("max_warehouses", self.max_warehouses, 1)

    def model_request(self) -> tuple[tuple[int, ...], float]:
        """What to train when no ``model_path`` is given: (training seeds, days each)."""
        return tuple(int(s) for s in self.training_seeds), float(self.training_days)

    def use_model(self, model: RouterModel) -> None:
        self.model = model

    def start(self, world: World, seed: int) -> None:
        if self.model is None:
            raise RuntimeError(
                "predictive: no model; build the policy through sim.config, which loads "
                "model_path or trains one, or call use_model() first"
            )
        self._plan = NetworkPlan.of(world)
        if seed in self.model.training_seeds:
            raise ConfigError(
                "seed",
                "a seed the predictive model was not trained on "
                f"(training seeds {list(self.model.training_seeds)})",
                seed,
            )
        expected = self.model.feature_names
        if expected[-len(world.modes) :] != tuple(f"mode_{m}" for m in world.mode_names):
            raise ConfigError(
                "routing.model_path", "a model trained on this network's modes", self.model_path
            )
        self._delivery = self.model.delivery
        self._stockout_usd = world.costs.reroute_usd + world.costs.pick_pack_usd

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        est = estimate(orders, view, self._plan)
        return decide_in_wave(orders, view, est, lambda e: self.decide(orders, view, e))

    def decide(
        self, orders: OrderBatch, view: RoutingView, est: CandidateEstimates
    ) -> RoutingDecision:
        """The lowest expected cost (transport, stock-out risk, late penalty) per order."""
        assert self.model is not None
        n, n_wh, n_modes = est.eta_h.shape
        i, w, m = self._candidates(orders, est)
        feats = candidate_features(orders, view, est, i, w, m)
        predicted = self._delivery.predict(feats)
        pair = i * n_wh + w  # flat [order, warehouse] and [order, warehouse, mode] indices
        cell = pair * n_modes + m
        slack = orders.promised_h.take(i) - view.now_h
        if self.pseudo_urgency_threshold < 1.0:
            relaxed = np.zeros(n, dtype=bool)
            urgent = np.flatnonzero(orders.urgent)
            relaxed[urgent] = (
                self.model.pseudo_urgent_probability(orders.signal[urgent])
                >= self.pseudo_urgency_threshold
            )
            slack = slack + np.where(relaxed.take(i), self.pseudo_urgent_slack_h, 0.0)
        storm_dest = est.storm_at_destination.ravel()
        storm = storm_dest.take(cell) | est.storm_at_warehouse.ravel().take(w * n_modes + m)
        p_late = self.model.late_probability(predicted, slack, self.model.group_of(m, storm))
        penalty = (self.late_penalty_usd + self.late_penalty_value_share * orders.value_usd) * (
            1.0 + (self.vip_weight - 1.0) * orders.vip
        )
        short = est.stock_short.ravel().take(pair) | orders.excluded.ravel().take(pair)
        risk = np.where(short, self.stockout_risk, 0.0)
        cost = (
            est.transport_usd.ravel().take(cell)
            + risk * self._stockout_usd
            + p_late * penalty.take(i)
        )
        table = np.full(n * n_wh * n_modes, np.inf)
        table[cell] = cost
        choice = table.reshape(n, n_wh * n_modes).argmin(axis=1)
        warehouse, mode = choice // n_modes, choice % n_modes
        ahead_of_storm = storm_dest.take(np.arange(n) * (n_wh * n_modes) + choice)
        return RoutingDecision(warehouse, mode, ahead_of_storm)

    def _candidates(
        self, orders: OrderBatch, est: CandidateEstimates
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(order, warehouse, mode) of the candidates worth scoring, in that order: every mode of
        the warehouses serving the order (those that failed it only if nothing else serves it)
        at most ``max_detour_zones`` beyond the nearest, the ``max_warehouses`` closest (by zone,
        then ETA)."""
        _, n_wh, n_modes = est.eta_h.shape
        served = est.served
        serves = served & ~orders.excluded
        stuck = ~serves.any(axis=1)
        if stuck.any():
            serves[stuck] = served[stuck]
        nearest = np.where(serves, est.zone, NOT_SERVED).min(axis=1)
        serves &= est.zone <= nearest[:, None] + self.max_detour_zones
        if n_wh > self.max_warehouses:
            # the first few of each row's sort: the same as ranking every warehouse by it
            soonest = np.fmin.reduce(est.eta_h, axis=2)  # NaN only where not served
            closeness = np.where(serves, est.zone + soonest / 1e4, np.inf)
            closest = np.argsort(closeness, axis=1)[:, : self.max_warehouses]
            top = np.zeros_like(serves)
            top[np.arange(len(serves))[:, None], closest] = True
            serves &= top
        i, w, m = np.nonzero(np.broadcast_to(serves[:, :, None], (len(serves), n_wh, n_modes)))
        return i, w, m
