"""Hostile and careless config input, in-process: every case is refused with one clean error.

Each case breaks one thing in a valid config and must end in bad input the CLI turns into one
line (``sim.cli.errors.BAD_INPUT``), whose line starts with the full key that is wrong (or the
file:line of a broken YAML file): never another exception (a traceback), never a run (a silent
run on bad input, or a hang: nothing here simulates). Most cases change a value in a composed
config and call :func:`sim.config.validate.validate` (milliseconds each); the rest go through
composition (:func:`sim.config.compose.load_config`), where Hydra and OmegaConf see the override
first. ``tests/test_hostile_config_cli.py`` runs a sample through the ``ordertwin`` command.

The classes, and ``CASES`` per class, are counted by ``test_case_counts``.
"""

from __future__ import annotations

import copy
import math
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

from scenarios.errors import BudgetError, ConfigError, OrderLogError
from sim.cli.errors import BAD_INPUT, describe_error
from sim.config.compose import load_config
from sim.config.precheck import precheck
from sim.config.store import register_configs
from sim.config.validate import validate

SHORT = ("horizon_days=2", "warmup_days=0.5", "progress=false")
NAN, INF = math.nan, math.inf
BASES = {  # composed once per module: every dict case starts from a copy of one of these
    "ls": ("scenario=livestream", "routing=value_tiered", "monitoring=health_score"),
    "rules": ("routing=rules", "monitoring=sla_rules"),
    "cheap": ("routing=cheapest",),
    "pred": ("routing=predictive",),
    "pilot": ("routing=pilot",),
}


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b[0].c`` in nested plain data."""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", dotted) if p]
    node: Any = cfg
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


# -- class: numbers out of range, NaN, infinite, negative, absurd -------------------------------
# (base, key to set, value, key the error must name)
def _numbers() -> list[tuple[str, str, Any, str]]:
    cases: list[tuple[str, str, Any, str]] = []

    def each(base: str, key: str, *values: Any, named: str | None = None) -> None:
        cases.extend((base, key, v, named or key) for v in values)

    s = "scenario"
    each("ls", f"{s}.demand.base_rate_per_h", NAN, INF, -5.0, 0.0)
    each("ls", f"{s}.demand.hourly_profile[3]", NAN, -1.0, INF)
    each("ls", f"{s}.demand.weekly_profile[0]", NAN, -1.0, 1e300)
    each("ls", f"{s}.demand.extra_items_mean", NAN, -1.0, 1e12, 5000.0)
    each("ls", f"{s}.demand.vip_p", NAN, 1.5, -0.1)
    each("ls", f"{s}.demand.bursts[0].peak_multiplier", NAN, 0.5, -INF)
    each("ls", f"{s}.demand.bursts[0].start_h", NAN, -1.0)
    each("ls", f"{s}.demand.bursts[0].duration_h", NAN, 0.0, -2.0)
    each("ls", f"{s}.demand.bursts[0].decay_tau_h", 0.0, INF)
    each("ls", f"{s}.demand.bursts[0].ramp_h", -1.0)
    each("ls", f"{s}.service_levels.standard.promise_h", NAN, 1e308, -1.0, 9000.0)  # 0 h: valid
    each("ls", f"{s}.service_levels.express.cancel_p", NAN, 1.5, -0.1)
    each("ls", f"{s}.customer.pseudo_urgent_p", NAN)
    each("ls", f"{s}.customer.nps_promoter_p[0]", 2.0)
    each("ls", f"{s}.customer.signal_separation", -INF)
    each("ls", f"{s}.warehouses.east.pickers", -1, 0, 10**20)
    each("ls", f"{s}.warehouses.east.replenish_lead_time_h", 1e-300, NAN, 0.0, -72.0)
    each("ls", f"{s}.warehouses.east.pick_time.mean_h", NAN, -1.0, INF)
    each("ls", f"{s}.warehouses.east.pick_time.mean_h", 1e-300,  # sd / mean overflows
         named=f"{s}.warehouses.east.pick_time.sd_h")  # fmt: skip
    each("ls", f"{s}.modes.air.transit_by_zone[0].sd_h", 1e-300, 1e12)
    each("ls", f"{s}.warehouses.east.shifts[0].start_h", 25.0, NAN)
    each("ls", f"{s}.warehouses.east.shifts[0].length_h", 0.0, NAN, 1e-9)
    each("ls", f"{s}.warehouses.south.shifts[1].start_h", 1e-300)  # hung: pickers' clock stuck
    each("ls", f"{s}.warehouses.east.shifts[1].pickers", -3)
    each("ls", f"{s}.warehouses.east.stock.apparel.initial", -1, 10**19)
    each("ls", f"{s}.warehouses.east.outages", [{"start_h": NAN, "duration_h": 1.0}],
         named=f"{s}.warehouses.east.outages[0].start_h")  # fmt: skip
    each("ls", f"{s}.modes.air.daily_capacity", 0, 10**19, 2**70)
    each("ls", f"{s}.modes.air.price_usd_by_zone[0]", NAN, -3.0, INF)
    each("ls", f"{s}.modes.air.transit_by_zone[0].sd_h", NAN)
    each("ls", f"{s}.modes.air.scan_interval_h", 0.0, NAN)
    each("ls", f"{s}.modes.air.loss_p", 1.1)
    each("ls", f"{s}.modes.air.pickup_hours[0]", 24.0, NAN, -1.0)
    each("ls", f"{s}.regions.texas.share", NAN)
    each("ls", f"{s}.regions.texas.zone_to.east", 0, 99)
    each("ls", f"{s}.regions.texas.storm_rate_per_day", NAN, -1.0)
    each("ls", f"{s}.weather.storm_rate_per_day", NAN, INF, -0.1)
    each("ls", f"{s}.weather.forecast_hit_p", NAN)
    each("ls", f"{s}.weather.false_alarm_ratio", 1.0)
    each("ls", f"{s}.inventory.sync_interval_h", NAN, -1.0, 1e-9)
    each("ls", f"{s}.inventory.max_reroutes", -1)
    each("ls", f"{s}.inventory.reroute_delay_h", NAN)
    each("ls", f"{s}.costs.pick_pack_usd", NAN, -1.0, INF)
    each("ls", f"{s}.costs.held_order_margin_loss_p", 2.0)
    each("ls", f"{s}.allocation_wave_h", 1e-12, NAN, -1.0)
    each("ls", "horizon_days", NAN, INF, 0.0, -1.0)
    each("ls", "warmup_days", NAN, -1.0)
    each("ls", "timeseries_interval_h", 1e-7, 0.0, NAN)
    each("ls", "seed", -1, 2**64)
    each("ls", "export.test_order_p", NAN)
    each("ls", "limits.max_orders", 0, -1)
    each("ls", "limits.min_interval_h", 0.0, NAN)
    return cases


# -- class: policy parameters --------------------------------------------------------------------
def _policy_parameters() -> list[tuple[str, str, Any, str]]:
    cases: list[tuple[str, str, Any, str]] = []

    def each(base: str, key: str, *values: Any, named: str | None = None) -> None:
        cases.extend((base, key, v, named or key) for v in values)

    each("ls", "routing.economy_slack_h", NAN, -1.0)
    each("ls", "routing.economy_margin_below_usd", NAN, INF)
    each("ls", "routing.vip_priority", "yes")
    each("ls", "monitoring.interval_h", NAN, 0.0, -1.0, 1e-9, -INF)
    each("ls", "monitoring.team_size", 0, -1, 2.5)
    each("ls", "monitoring.response_h", NAN)
    each("ls", "monitoring.blue_at", 0.0, NAN, 1.5)
    each("ls", "monitoring.yellow_at", 0.1)  # below blue_at
    each("ls", "monitoring.red_at", 2.0)
    each("ls", "monitoring.weight_age", -1.0, NAN)
    each("ls", "monitoring.backlog_scale_h", 0.0)
    each("ls", "monitoring.tracking_scale_h", INF)
    each("rules", "routing.max_detour_zones", -1)
    each("rules", "routing.rules[2].when.backlog_hours_above", NAN, INF)
    each("rules", "routing.rules[1].when.zone_above", 2.5)
    each("rules", "monitoring.team_size", 0)
    each("rules", "monitoring.interval_h", NAN)
    each("rules", "monitoring.pick_sla_h", -1.0)
    each("rules", "monitoring.stock_swing", NAN)
    each("cheap", "routing.stockout_risk", -5.0, NAN, 1.5)
    each("cheap", "routing.promise_margin_h", NAN)
    each("pred", "routing.max_detour_zones", -1)
    each("pred", "routing.max_warehouses", 0)
    each("pred", "routing.stockout_risk", 2.0)
    each("pred", "routing.late_penalty_usd", NAN)
    each("pred", "routing.vip_weight", -1.0)
    each("pred", "routing.training_days", NAN, 5.0)
    each("pred", "routing.training_seeds", [])
    each("pred", "routing.training_seeds", [-1], named="routing.training_seeds[0]")
    each("pred", "routing.pseudo_urgency_threshold", 1.5)
    each(
        "pred", "routing.model_path", "/nonexistent/model.npz", __file__, str(Path(__file__).parent)
    )
    cases.append(("pred", "seed", 900001, "seed"))  # a seed the model would be trained on
    each("pilot", "routing.regions", [])
    each("pilot", "routing.treatment", {}, named="routing.treatment._target_")
    each("pilot", "routing.control", "nearest")
    return cases


# -- class: names checked against the world ------------------------------------------------------
def _world_names() -> list[tuple[str, str, Any, str]]:
    return [
        ("ls", "routing.premium_mode", "drone", "routing.premium_mode"),
        ("ls", "routing.economy_mode", "boat", "routing.economy_mode"),
        ("ls", "monitoring.expedite_mode", "teleport", "monitoring.expedite_mode"),
        ("ls", "routing.rules", [{"when": {"vip": True}, "then": {"mode": "drone"}}],
         "routing.rules[0].then.mode"),
        ("rules", "routing.rules[1].then.mode", "rocket", "routing.rules[1].then.mode"),
        ("pilot", "routing.regions", ["atlantis"], "routing.regions[0]"),
        ("pilot", "routing.regions", ["texas", "mars"], "routing.regions[1]"),
        ("ls", "scenario.warehouses.east.region", "atlantis", "scenario.warehouses.east.region"),
        ("ls", "scenario.regions.texas.zone_to.nowhere", 2,
         "scenario.regions.texas.zone_to.nowhere"),
        ("ls", "scenario.service_levels.express.mode_mix", {"drone": 1.0},
         "scenario.service_levels.express.mode_mix.drone"),
        ("ls", "scenario.channels.web.level_mix", {"overnight": 1.0},
         "scenario.channels.web.level_mix.overnight"),
        ("ls", "scenario.demand.bursts[0].channel", "tv", "scenario.demand.bursts[0].channel"),
        ("ls", "scenario.demand.bursts[0].product_mix", {"toys": 1.0},
         "scenario.demand.bursts[0].product_mix.toys"),
        ("ls", "scenario.weather.storms",
         [{"region": "mars", "start_h": 1.0, "duration_h": 5.0, "severity": 0.5, "forecast": True}],
         "scenario.weather.storms[0].region"),
    ]  # fmt: skip


# -- class: types, structure, required values (the full key path in every message) --------------
def _structure() -> list[tuple[str, str, Any, str]]:
    return [
        ("ls", "routing.rules", "abc", "routing.rules"),  # never walked character by character
        ("rules", "routing.rules", "abc", "routing.rules"),
        ("rules", "routing.rules[0].when", "abc", "routing.rules[0].when"),
        ("rules", "routing.rules[0].then", ["avoid"], "routing.rules[0].then"),
        ("rules", "routing.rules[0].name", 5, "routing.rules[0].name"),
        ("rules", "routing.rules[0]", "storm", "routing.rules[0]"),
        ("ls", "scenario.demand.bursts", [{"start_h": 1.0}], "scenario.demand.bursts[0].name"),
        ("ls", "scenario.demand.bursts[0].name", "???", "scenario.demand.bursts[0].name"),
        ("ls", "scenario.demand.bursts[1].name", "stream_1", "scenario.demand.bursts[1].name"),
        ("ls", "scenario.demand.hourly_profile", "flat", "scenario.demand.hourly_profile"),
        ("ls", "scenario.demand.hourly_profile", [1.0] * 23, "scenario.demand.hourly_profile"),
        ("ls", "scenario.demand.hourly_profile", [5e-324] + [0.0] * 23,
         "scenario.demand.hourly_profile"),
        ("ls", "scenario.demand.weekly_profile", [0.0] * 7, "scenario.demand.weekly_profile"),
        ("ls", "scenario.warehouses", {}, "scenario.warehouses"),
        ("ls", "scenario.modes", {}, "scenario.modes"),
        ("ls", "scenario.warehouses.east", "big", "scenario.warehouses.east"),
        ("ls", "scenario.warehouses.east.pickers", "ten", "scenario.warehouses.east.pickers"),
        ("ls", "scenario.warehouses.east.pickers", True, "scenario.warehouses.east.pickers"),
        ("ls", "scenario.warehouses.east.pickers", 1.5, "scenario.warehouses.east.pickers"),
        ("ls", "scenario.warehouses.east.shifts", [{"start_h": "x"}],
         "scenario.warehouses.east.shifts[0].start_h"),
        ("ls", "scenario.warehouses.east.pikers", 3, "scenario.warehouses.east.pikers"),
        ("ls", "scenario.inventory.enabled", "no", "scenario.inventory.enabled"),
        ("ls", "scenario.customer.promise_h", 12.0, "scenario.customer.promise_h"),
        ("ls", "scenario.service_levels", {}, "scenario.service_levels"),
        ("ls", "scenario.demand", None, "scenario.demand"),
        ("ls", "routing", "value_tiered", "routing"),
        ("ls", "monitoring.nonsense", 1, "monitoring.nonsense"),
        ("ls", "routing._target_", "os.system", "routing._target_"),
        ("ls", "extra", 1, "extra"),
    ]  # fmt: skip


# -- class: resource budget (each would allocate terabytes, or hang) ----------------------------
def _budget() -> list[tuple[str, str, Any, str]]:
    return [
        ("ls", "scenario.demand.base_rate_per_h", 1e12, "limits.max_orders"),
        ("ls", "horizon_days", 1e6, "limits.max_orders"),
        ("ls", "scenario.demand.bursts[0].peak_multiplier", 1e12, "limits.max_orders"),
        ("ls", "scenario.demand.bursts[0].duration_h", 1e9, "limits.max_orders"),
        ("ls", "scenario.weather.storm_rate_per_day", 1e9, "limits.max_storms"),
        ("ls", "scenario.regions.texas.storm_rate_per_day", 1e7, "limits.max_storms"),
        ("ls", "scenario.warehouses.east.pickers", 10**9, "limits.max_pickers"),
        ("ls", "scenario.warehouses.east.shifts[0].pickers", 10**6, "limits.max_pickers"),
        ("ls", "limits.max_timeseries_rows", 100, "limits.max_timeseries_rows"),
        ("ls", "scenario.weather.storm_rate_per_day", 1e4, "limits.max_storms"),
        ("ls", "limits.max_events", 1000, "limits.max_events"),
        ("ls", "limits.max_orders", 10, "limits.max_orders"),
        ("ls", "limits.max_pickers", 5, "limits.max_pickers"),
    ]


# -- composition: the same classes where Hydra and OmegaConf see the override first -------------
# (overrides, key the line must start with)
COMPOSED = [
    (["scenario.warehouses={}"], "scenario.warehouses"),
    (["scenario.regions={}"], "scenario.regions"),
    (["scenario=livestream", "scenario.demand.bursts.0.product_mix={}"],
     "scenario.demand.bursts.0.product_mix"),
    (["scenario.demand.base_rate_per_h=abc"], "scenario.demand.base_rate_per_h"),
    (["scenario.demand.base_rate_per_h=nan"], "scenario.demand.base_rate_per_h"),
    (["scenario.demand.base_rate_per_h=inf"], "scenario.demand.base_rate_per_h"),
    (["scenario.demand.base_rate_per_h=1e12"], "limits.max_orders"),
    (["seed=1.5"], "seed"),
    (["scenario.demand.hourly_profile=flat"], "scenario.demand.hourly_profile"),
    (["+scenario.demand.surge=2"], "scenario.demand.surge"),
    (["+routing.foo=1"], "routing.foo"),
    (["+limits.max_foo=1"], "limits.max_foo"),
    (["scenario.demand.bursts=[{start_h: 1}]"], "scenario.demand.bursts[0].name"),
    (["scenario.demand.bursts=[{name: a, start_h: 1}, {name: b, start_h: x}]"],
     "scenario.demand.bursts[1].start_h"),
    (["scenario.demand.bursts=[{name: a, start_h: 1, fo: 2}]"], "scenario.demand.bursts[0].fo"),
    (["scenario=livestream", "scenario.demand.bursts.0.name=null"],
     "scenario.demand.bursts[0].name"),
    (["scenario.warehouses.east.shifts=[{pickrs: 3}]"],
     "scenario.warehouses.east.shifts[0].pickrs"),
    (["scenario.weather.storms=[{region: texas}]"], "scenario.weather.storms[0].start_h"),
    (["routing=rules", "routing.rules=abc"], "routing.rules"),
    (["routing=rules", "routing.rules=[{when: abc, then: {priority: true}}]"],
     "routing.rules[0].when"),
    (["routing=rules", "routing.rules=[{when: {value_above_usd: nan}, then: {priority: true}}]"],
     "routing.rules[0].when.value_above_usd"),
    (["routing=value_tiered", "routing.premium_mode=drone"], "routing.premium_mode"),
    (["monitoring=health_score", "monitoring.expedite_mode=drone"], "monitoring.expedite_mode"),
    (["monitoring=health_score", "monitoring.interval_h=0"], "monitoring.interval_h"),
    (["monitoring=health_score", "monitoring.team_size=0"], "monitoring.team_size"),
    (["monitoring=sla_rules", "monitoring.interval_h=nan"], "monitoring.interval_h"),
    (["routing=predictive", "scenario.demand.base_rate_per_h=50000", "horizon_days=1"],
     "limits.max_orders"),  # 1 day is fine, its 28-day training runs are not
    (["scenario=nope"], "scenario"),
    (["routing=nope"], "routing"),
    (["experiment=nope"], "experiment"),
    (["warmup_days=5", "horizon_days=2"], "warmup_days"),
    (["scenario.modes.air.daily_capacity=100000000000000000000000"],
     "scenario.modes.air.daily_capacity"),
    (["seed=1,2"], "seed"),  # a sweep without -m
]  # fmt: skip

HEAD = "defaults:\n  - baseline\n  - _self_\n"  # lines 1-3 of every broken user scenario
BROKEN_YAML = {  # the rest of the file -> the line the error must point at
    "unclosed-list": ("name: x\ndemand:\n  hourly_profile: [1,\n", 7),
    "duplicate-key": ("name: x\nname: y\n", 5),
    "duplicate-nested": ("name: x\ndemand:\n  vip_p: 0.1\n  vip_p: 0.2\n", 7),
    "tab-indent": ("name: x\ndemand:\n\tvip_p: 0.1\n", 6),
    "unclosed-quote": ("name: 'x\n", 5),
    "bad-indent": ("name: x\n demand: 1\n", 5),
    "mapping-in-scalar": ("name: a: b\n", 4),
}

CASES = {
    "numbers": _numbers(),
    "policy-parameters": _policy_parameters(),
    "world-names": _world_names(),
    "structure": _structure(),
    "budget": _budget(),
}


@pytest.fixture(scope="module", autouse=True)
def _schema_registered() -> None:
    """As ordertwin's main() does before precheck: the sweep tests ran only after another test
    had composed (run alone, Hydra could not load 'ordertwin_schema')."""
    register_configs()


@pytest.fixture(scope="module")
def bases() -> dict[str, dict[str, Any]]:
    return {name: load_config(*SHORT, *overrides) for name, overrides in BASES.items()}


def one_line(err: BaseException) -> str:
    """The one line the CLI prints (without the program prefix); the error must be bad input."""
    assert isinstance(err, BAD_INPUT), f"{type(err).__name__} would be a traceback: {err}"
    line = describe_error(err)
    assert "\n" not in line, line
    return line


def _ids(cases: list[tuple[str, str, Any, str]]) -> list[str]:
    return [f"{base}-{key}={value!r}"[:80] for base, key, value, _ in cases]


ALL = [case for cases in CASES.values() for case in cases]


@pytest.mark.parametrize(("base", "key", "value", "named"), ALL, ids=_ids(ALL))
def test_bad_value_is_refused_naming_its_key(
    bases: dict[str, dict[str, Any]], base: str, key: str, value: Any, named: str
) -> None:
    cfg = copy.deepcopy(bases[base])
    _set(cfg, key, value)
    with pytest.raises(BAD_INPUT) as info:
        validate(cfg)
    line = one_line(info.value)
    assert line.startswith(f"{named}: "), line
    assert isinstance(info.value, ConfigError)
    assert info.value.key == named


@pytest.mark.parametrize(("overrides", "named"), COMPOSED, ids=[" ".join(o) for o, _ in COMPOSED])
def test_bad_override_is_refused_in_one_line(overrides: list[str], named: str | None) -> None:
    with pytest.raises(BAD_INPUT) as info:
        load_config(*SHORT, *overrides)
    line = one_line(info.value)
    if named is not None:
        assert line.startswith(f"{named}: "), line
    assert "[...]" not in line, line


@pytest.mark.parametrize("case", sorted(BROKEN_YAML))
def test_broken_yaml_in_a_user_config_is_file_and_line(tmp_path: Path, case: str) -> None:
    text, line_no = BROKEN_YAML[case]
    (tmp_path / "scenario").mkdir()
    path = tmp_path / "scenario" / "x.yaml"
    path.write_text(HEAD + text)
    with pytest.raises(BAD_INPUT) as info:
        load_config(*SHORT, "scenario=x", f"hydra.searchpath=[file://{tmp_path}]")
    line = one_line(info.value)
    assert line.startswith(f"{path}:{line_no}: expected "), line


def test_a_sweep_goes_ahead_when_some_job_can_run() -> None:
    """seed=-1 fails, seed=1 does not: the sweep runs and the bad job fails on its own."""
    precheck(["-m", *SHORT, "seed=-1,1"])


def test_a_sweep_no_job_of_which_can_run_is_refused_before_it_starts() -> None:
    with pytest.raises(ConfigError, match=r"^scenario\.demand\.vip_p: expected a probability"):
        precheck(["experiment=quickstart", *SHORT, "scenario.demand.vip_p=2"])


@pytest.mark.parametrize(
    ("swept", "named"),
    [
        (["routing=nearest,value_tiered", "+routing.economy_slack_h=5"], "routing.economy_slack_h"),
        (["horizon_days=1,abc"], "horizon_days"),
    ],
)
def test_a_sweep_job_that_cannot_compose_refuses_the_sweep(swept: list[str], named: str) -> None:
    """The launcher composes every job in the driver and stops the sweep at the first that
    cannot be composed (Hydra's three-line message, the jobs before it already run): the first
    job composing is not enough, every distinct one is composed before the folder is made."""
    with pytest.raises(BAD_INPUT) as info:
        precheck(["-m", *SHORT, *swept, "seed=1,2"])
    assert one_line(info.value).startswith(f"{named}: ")


def test_budget_message_names_the_limit_the_estimate_and_the_cause(
    bases: dict[str, dict[str, Any]],
) -> None:
    cfg = copy.deepcopy(bases["rules"])  # the baseline: no bursts
    cfg["scenario"]["demand"]["base_rate_per_h"] = 1e6
    cfg["cooldown_days"] = 0.0  # the budget counts horizon + cool-down: keep it to the 2 days
    with pytest.raises(BudgetError) as info:
        validate(cfg)
    err = info.value
    assert err.key == "limits.max_orders" and err.cause == "scenario.demand.base_rate_per_h"
    assert err.got == pytest.approx(48e6, rel=0.05)  # 2 days at 1e6/h, by the profiles
    assert str(err) == (
        "limits.max_orders: this run would need ~49,200,000 orders, above the limit of "
        "25,000,000, mostly from scenario.demand.base_rate_per_h; raise limits.max_orders if "
        "you mean it"
    )
    cfg["limits"]["max_orders"] = 60_000_000  # meant: admitted
    cfg["limits"]["max_events"] = 300_000_000
    validate(cfg)


def test_defaults_admit_a_year_of_a_50k_orders_a_day_network() -> None:
    cfg = load_config(
        "horizon_days=365",
        "scenario=livestream",
        "scenario.demand.base_rate_per_h=2084",  # 50,000 a day
        "monitoring=health_score",
        "timeseries_interval_h=0.25",
    )
    assert cfg["limits"]["max_orders"] >= 18.3e6


@pytest.mark.parametrize(
    "err",
    [
        ConfigError("scenario.demand.vip_p", "a probability in [0, 1]", 1.5),
        ConfigError("routing.foo", "a parameter of X", "foo", "did you mean 'fo'?"),
        BudgetError("limits.max_orders", "orders", 25e6, 4.7e13, "scenario.demand.base_rate_per_h"),
        OrderLogError("log.csv", "line 3, column created_at", "no UTC offset"),
    ],
    ids=["config", "config-hint", "budget", "order-log"],
)
def test_errors_pickle_as_themselves(err: Exception) -> None:
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)
    for field in ("key", "expected", "got", "hint", "cause", "where"):
        assert getattr(back, field, None) == getattr(err, field, None)


def test_case_counts() -> None:
    """At least 150 bad configs over every class (the closing note quotes these counts)."""
    counts = {name: len(cases) for name, cases in CASES.items()}
    counts["composed"] = len(COMPOSED)
    counts["yaml"] = len(BROKEN_YAML)
    print(counts, sum(counts.values()))
    assert sum(counts.values()) >= 150
    assert all(n >= 5 for n in counts.values())
