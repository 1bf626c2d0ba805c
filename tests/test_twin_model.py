"""The twin-of-a-real-company schema (issue 13): dates, the service-level table, cancellations, a
dated demand calendar, handling delays, origins as logged.

Each new key is refused with one line naming it when out of range (in-process, on the composed
baseline), and each engine feature is checked on short runs.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from scenarios.build import build
from sim.config.validate import ConfigError, validate
from tests.helpers import plain_config

SHORT = ["horizon_days=2", "warmup_days=0.5", "progress=false"]


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return plain_config(*SHORT)


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    node = cfg
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


def _refused(cfg: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert info.value.key == key, str(info.value)
    assert f"{key}: expected {expected}" in str(info.value)
    assert "\n" not in str(info.value)


def _good_then_bad(
    baseline: dict[str, Any], dotted: str, good: Any, bad: Any, key: str, expected: str
) -> None:
    """The baseline with ``good`` at ``dotted`` validates; with ``bad`` it is refused."""
    cfg = copy.deepcopy(baseline)
    _set(cfg, dotted, copy.deepcopy(good))
    validate(cfg)
    _set(cfg, dotted, bad)
    _refused(cfg, key, expected)


STORM = {"region": "texas", "duration_h": 24.0, "severity": 0.9, "forecast": True}


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"scenario.start_date": "2025-02-30"}, "scenario.start_date", "an ISO date"),
        ({"scenario.start_date": "next monday"}, "scenario.start_date", "an ISO date"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": None}]},
         "scenario.weather.storms[0].start_h", "either start_h"),
        ({"scenario.weather.storms": [{**STORM, "start_h": 5.0, "start": "2025-03-04"}]},
         "scenario.weather.storms[0].start_h", "either start_h"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": "2025-03-01"}]},
         "scenario.weather.storms[0].start", "a date on or after start_date"),
        ({"scenario.weather.storms": [{**STORM, "start_h": None, "start": "2025-03-04T06+01"}]},
         "scenario.weather.storms[0].start", "an ISO date"),
    ],
)  # fmt: skip
def test_dates_are_checked(
    baseline: dict[str, Any], changes: dict[str, Any], key: str, expected: str
) -> None:
    cfg = copy.deepcopy(baseline)
    for dotted, value in changes.items():
        _set(cfg, dotted, value)
    _refused(cfg, key, expected)


def test_a_storm_start_date_is_hours_from_start_date(baseline: dict[str, Any]) -> None:
    sc = copy.deepcopy(baseline["scenario"])
    sc["weather"]["storms"] = [{**STORM, "start_h": None, "start": "2025-03-05T06:00"}]
    validate({**baseline, "scenario": sc})
    world = build(sc)
    assert world.start_date.isoformat() == "2025-03-03"
    assert world.weather.scripted[0].start_h == pytest.approx(54.0)


def test_start_weekday_moves_the_weekly_profile(baseline: dict[str, Any]) -> None:
    """Day 0 takes the weekly profile's value of start_date's weekday (a Sunday: the last)."""
    from sim.engine.demand import base_arrival_times

    sc = copy.deepcopy(baseline["scenario"])
    sc["demand"]["hourly_profile"] = [1.0] * 24
    sc["demand"]["weekly_profile"] = [1.0] * 6 + [0.0]
    monday = build(sc)
    sc["start_date"] = "2025-03-09"  # a Sunday
    sunday = build(sc)
    rng = np.random.default_rng
    assert len(base_arrival_times(monday, 0, rng(1))) > 0
    assert len(base_arrival_times(sunday, 0, rng(1))) == 0
    assert len(base_arrival_times(sunday, 1, rng(1))) > 0


# -- the service-level table and cancellations ----------------------------------------------------
FOUR_LEVELS = {
    "standard": {"promise_h": 96.0, "promise_h_by_region": {"pacific": 120.0},
                 "mode_mix": {"ground": 1.0}, "urgent": False, "cancel_p": 0.05},
    "second": {"promise_h": 48.0, "promise_h_by_region": {},
               "mode_mix": {"ground": 0.5, "economy": 0.5}, "urgent": False, "cancel_p": 0.05},
    "first": {"promise_h": 24.0, "promise_h_by_region": {}, "mode_mix": {"air": 1.0},
              "urgent": True, "cancel_p": 0.05},
    "same_day": {"promise_h": 12.0, "promise_h_by_region": {}, "mode_mix": {"air": 1.0},
                 "urgent": True, "cancel_p": 0.05},
}  # fmt: skip
MIX = {"standard": 0.4, "second": 0.3, "first": 0.2, "same_day": 0.1}


def four_level_scenario(baseline: dict[str, Any]) -> dict[str, Any]:
    sc = copy.deepcopy(baseline["scenario"])
    sc["service_levels"] = copy.deepcopy(FOUR_LEVELS)
    for channel in sc["channels"].values():
        channel["level_mix"] = dict(MIX)
    return sc


@pytest.mark.parametrize(
    ("dotted", "value", "key", "expected"),
    [
        ("scenario.service_levels", {}, "scenario.service_levels", "at least one service level"),
        ("scenario.service_levels.first.mode_mix", {}, "scenario.service_levels.first.mode_mix",
         "the share of each mode"),
        ("scenario.service_levels.first.mode_mix", {"air": 0.5},
         "scenario.service_levels.first.mode_mix", "shares that sum to 1"),
        ("scenario.service_levels.first.cancel_p", 1.5, "scenario.service_levels.first.cancel_p",
         "a probability"),
        ("scenario.service_levels.first.promise_h", -1.0, "scenario.service_levels.first.promise_h",
         "a number >= 0"),  # 0 h is a level due at once (a log's "same day" in whole days)
        ("scenario.service_levels.standard.promise_h_by_region", {"mars": 5.0},
         "scenario.service_levels.standard.promise_h_by_region.mars", "a known region"),
        ("scenario.service_levels.standard.promise_h_by_region", {"texas": -5.0},
         "scenario.service_levels.standard.promise_h_by_region.texas", "a number >= 0"),
        ("scenario.channels.web.level_mix", {"express": 1.0},
         "scenario.channels.web.level_mix.express", "a known service level"),
        ("scenario.service_levels.first.urgent", "yes", "scenario.service_levels.first.urgent",
         "true or false"),
    ],
)  # fmt: skip
def test_service_levels_are_checked(
    baseline: dict[str, Any], dotted: str, value: Any, key: str, expected: str
) -> None:
    cfg = {**baseline, "scenario": four_level_scenario(baseline)}
    validate(cfg)
    _set(cfg, dotted, value)
    _refused(cfg, key, expected)


def test_two_levels_draw_as_express_p_did() -> None:
    """With two levels, level 1 exactly when u < p(level 1): the shipped scenarios' draw."""
    from sim.engine.demand import service_levels

    rng = np.random.default_rng(3)
    p = rng.random(2000)
    u = np.concatenate([rng.random(1000), p[1000:]])  # ties at the boundary too
    got = service_levels(np.column_stack([1.0 - p, p]), u)
    assert np.array_equal(got, (u < p).astype(np.int64))


def test_many_levels_follow_the_mix() -> None:
    from sim.engine.demand import service_levels

    mix = np.array(list(MIX.values()))
    u = np.random.default_rng(4).random(200_000)
    shares = np.bincount(service_levels(np.tile(mix, (len(u), 1)), u), minlength=4) / len(u)
    # binomial sd <= 0.0011 at n = 200,000: 0.006 is over 5 sd
    assert np.abs(shares - mix).max() < 0.006


@pytest.fixture(scope="module")
def four_level_run(baseline: dict[str, Any]) -> tuple[Any, Any]:
    from policies.monitoring.none import NoMonitoring
    from policies.routing.nearest import NearestRouting
    from sim.engine import run

    sc = four_level_scenario(baseline)
    validate({**baseline, "scenario": sc})
    world = build(sc)
    return world, run(world, NearestRouting(), NoMonitoring(), 5, 2.0, 0.0)


def test_levels_promises_modes_and_urgency(four_level_run: tuple[Any, Any]) -> None:
    world, result = four_level_run
    o = result.orders
    assert world.level_names == tuple(FOUR_LEVELS)
    level = np.array([world.level_names.index(n) for n in o["service_level"]])
    assert set(level.tolist()) == {0, 1, 2, 3}  # every class is generated
    region = np.array([world.regions.index(n) for n in o["region"]])
    promise = o["promised_h"] - o["created_h"]
    pacific_standard = (level == 0) & (region == world.regions.index("pacific"))
    assert pacific_standard.any()
    assert np.allclose(promise[pacific_standard], 120.0)
    assert np.allclose(promise[(level == 0) & ~pacific_standard], 96.0)
    assert np.allclose(promise[level == 3], 12.0)
    assert np.array_equal(o["urgent"], level >= 2)
    assert world.service_mode.tolist() == [
        world.mode_index(m) for m in ("ground", "ground", "air", "air")
    ]


def test_customer_cancellations_are_their_own_kpi_and_never_late(
    four_level_run: tuple[Any, Any],
) -> None:
    from sim.engine.kpis import Orders

    _, result = four_level_run
    o, k = result.orders, result.kpis
    gone = o["customer_cancelled"]
    n = len(gone)
    assert (o["status"][gone] == "cancelled").all()
    assert np.isnan(o["shipped_h"][gone]).all() and (o["warehouse"][gone] == "").all()
    assert np.allclose(o["cancelled_h"][gone] - o["created_h"][gone], 0.0, atol=0.26)  # next wave
    # 5% at every level: the share within 4 binomial sd
    assert abs(gone.mean() - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)
    assert k["customer_cancel_rate"] == pytest.approx(gone.mean())
    orders = Orders(o)
    assert not (orders.due & gone).any()  # never in a late rate's denominator
    assert np.isnan(o["promoter_p"][gone]).all()  # not rated


# -- the dated demand calendar ---------------------------------------------------------------------
CALENDAR = {
    "daily_level": [{"date": "2025-03-03", "level": 1.0}, {"date": "2025-03-13", "level": 2.0}],
    "yearly_profile": [],
    "events": [
        {"name": "gap", "start": "2025-03-05", "days": 1.0, "multiplier": 0.0},
        {"name": "sale", "start": "2025-03-07T12:00", "days": 0.25, "multiplier": 5.0},
    ],
    "past_last_knot": "hold",
}


def calendar_scenario(baseline: dict[str, Any], **changes: Any) -> dict[str, Any]:
    sc = copy.deepcopy(baseline["scenario"])
    sc["demand"]["calendar"] = {**copy.deepcopy(CALENDAR), **changes}
    return sc


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"daily_level": [{"date": "2025-13-01", "level": 1.0}]},
         "scenario.demand.calendar.daily_level[0].date", "an ISO date"),
        ({"daily_level": [{"date": "2025-03-05", "level": 1.0},
                          {"date": "2025-03-05", "level": 2.0}]},
         "scenario.demand.calendar.daily_level[1].date", "a date after the previous knot's"),
        ({"daily_level": [{"date": "2025-03-05", "level": -1.0}]},
         "scenario.demand.calendar.daily_level[0].level", "a number >= 0"),
        ({"yearly_profile": [1.0] * 11}, "scenario.demand.calendar.yearly_profile", "12 values"),
        ({"past_last_knot": "grow"}, "scenario.demand.calendar.past_last_knot",
         "a known projection"),
        ({"past_last_knot": "trend", "daily_level": [{"date": "2025-03-05", "level": 1.0}]},
         "scenario.demand.calendar.daily_level", "two or more knots"),
        ({"events": [CALENDAR["events"][0], {**CALENDAR["events"][1], "name": "gap"}]},
         "scenario.demand.calendar.events[1].name", "a name no other event has"),
        ({"events": [{**CALENDAR["events"][0], "days": 0.0}]},
         "scenario.demand.calendar.events[0].days", "a number > 0"),
        ({"events": [{**CALENDAR["events"][0], "multiplier": -2.0}]},
         "scenario.demand.calendar.events[0].multiplier", "a number >= 0"),
        ({"events": [{**CALENDAR["events"][0], "start": "Black Friday"}]},
         "scenario.demand.calendar.events[0].start", "an ISO date"),
    ],
)  # fmt: skip
def test_calendar_is_checked(
    baseline: dict[str, Any], changes: dict[str, Any], key: str, expected: str
) -> None:
    validate({**baseline, "scenario": calendar_scenario(baseline)})
    _refused({**baseline, "scenario": calendar_scenario(baseline, **changes)}, key, expected)


def test_calendar_levels_events_and_projection(baseline: dict[str, Any]) -> None:
    cal = build(calendar_scenario(baseline)).demand.calendar
    assert cal is not None
    level = cal.daily_level(np.array([-3, 0, 5, 10, 40]))
    assert np.allclose(level, [1.0, 1.0, 1.5, 2.0, 2.0])  # held before and after the knots
    assert np.allclose(cal.hourly_multiplier(2), 0.0)  # the gap: all of Wednesday
    sale = cal.hourly_multiplier(4)  # Friday: 12:00-18:00 at 5x the day's level (1.4)
    assert np.allclose(sale[12:18], 7.0) and np.allclose(sale[:12], 1.4) and sale[18] == 1.4
    trend = build(calendar_scenario(baseline, past_last_knot="trend")).demand.calendar
    assert trend is not None
    assert np.allclose(trend.daily_level(np.array([10, 12, 20])), [2.0, 2.2, 3.0])
    months = [1.0] * 12
    months[2], months[3] = 0.5, 1.5  # March, April
    yearly = build(calendar_scenario(baseline, yearly_profile=months)).demand.calendar
    assert yearly is not None
    mean = np.mean(months)
    assert yearly.month_factor(np.array([0, 28, 29])) == pytest.approx(
        [0.5 / mean, 0.5 / mean, 1.5 / mean]  # day 28 is 31 March, day 29 is 1 April
    )


def test_the_engine_draws_from_the_calendar(baseline: dict[str, Any]) -> None:
    """Day counts follow base rate x weekly profile x calendar: none in the gap, the sale's
    extra orders in its window, twice the rate by the last knot."""
    from sim.engine.demand import generate_orders
    from sim.engine.streams import RandomStreams

    sc = calendar_scenario(baseline)
    sc["demand"]["base_rate_per_h"] = 20.0
    flat = build(
        copy.deepcopy(baseline["scenario"]) | {"demand": sc["demand"] | {"calendar": None}}
    )
    world = build(sc)
    created = generate_orders(world, 12 * 24.0, RandomStreams(7)).created_h
    plain = generate_orders(flat, 12 * 24.0, RandomStreams(7)).created_h
    per_day = np.bincount((created // 24).astype(int), minlength=12)
    assert per_day[2] == 0
    assert per_day[0] == np.bincount((plain // 24).astype(int), minlength=12)[0]  # level 1
    expected = 20.0 * 24 * np.array(world.demand.weekly_profile)[[4, 0]]  # Friday; Monday day 7
    window = ((created >= 4 * 24 + 12) & (created < 4 * 24 + 18)).sum()
    hourly = np.array(world.demand.hourly_profile)[12:18].sum() * 20.0 * 1.4 * 5.0
    hourly *= world.demand.weekly_profile[4]
    assert abs(window - hourly) < 5 * np.sqrt(hourly)
    assert abs(per_day[7] - expected[1] * 1.7) < 5 * np.sqrt(expected[1] * 1.7)


# -- handling delay per origin ---------------------------------------------------------------------
HANDLING = {"dist": "lognormal", "mean_h": 80.0, "sd_h": 60.0}


@pytest.mark.parametrize(
    ("handling", "key", "expected"),
    [
        ({"dist": "weibull", "mean_h": 80.0, "sd_h": 60.0},
         "scenario.warehouses.east.handling.dist", "one of exponential"),
        ({"dist": "lognormal", "mean_h": -1.0, "sd_h": 60.0},
         "scenario.warehouses.east.handling.mean_h", "a number > 0"),
        ({"dist": "gamma", "mean_h": 80.0, "sd_h": None}, "scenario.warehouses.east.handling.sd_h",
         "a standard deviation"),
    ],
)  # fmt: skip
def test_handling_is_checked(
    baseline: dict[str, Any], handling: dict[str, Any], key: str, expected: str
) -> None:
    _good_then_bad(baseline, "scenario.warehouses.east.handling", HANDLING, handling, key, expected)


def test_handling_replaces_pickers_and_pickups(baseline: dict[str, Any]) -> None:
    """At a warehouse with a handling delay, routing to handover follows the fitted distribution
    (no pick queue, no pickup wait); the others keep the picker model. The run's invariants
    (every open order in one place, counters) are checked as it runs."""
    from policies.monitoring.none import NoMonitoring
    from policies.routing.nearest import NearestRouting
    from sim.engine import run

    sc = copy.deepcopy(baseline["scenario"])
    sc["warehouses"]["east"]["handling"] = dict(HANDLING)
    sc["inventory"]["enabled"] = False
    sc["demand"]["base_rate_per_h"] = 40.0
    validate({**baseline, "scenario": sc})
    world = build(sc)
    result = run(world, NearestRouting(), NoMonitoring(), 11, 6.0, 0.0, cooldown_days=30.0)
    o = result.orders
    east = (o["warehouse"] == "east") & ~np.isnan(o["shipped_h"])
    delay = o["shipped_h"][east] - o["routed_h"][east]
    assert east.sum() > 1000
    assert np.allclose(o["pick_wait_h"][east], 0.0)
    # lognormal mean 80, sd 60: the sample mean within 4 standard errors
    assert abs(delay.mean() - 80.0) < 4 * 60.0 / np.sqrt(east.sum())
    assert abs(delay.std() - 60.0) < 10.0
    others = (o["warehouse"] == "west") & ~np.isnan(o["shipped_h"])
    # the picker model: handover only at the mode's pickup hour
    hour = o["shipped_h"][others] % 24.0
    assert set(np.round(hour, 6)) <= {15.0, 17.0, 13.0}


# -- origins as logged -----------------------------------------------------------------------------
ORIGINS = {"texas": {"east": 0.7, "south": 0.3}, "pacific": {"west": 1.0}}


@pytest.mark.parametrize(
    ("origins", "key", "expected"),
    [
        ({"mars": {"east": 1.0}}, "scenario.observed_origins.mars", "a known region"),
        ({"texas": {"nowhere": 1.0}}, "scenario.observed_origins.texas.nowhere",
         "a known warehouse"),
        ({"texas": {"east": 0.5}}, "scenario.observed_origins.texas", "shares that sum to 1"),
        ({"texas": {"east": -0.5, "south": 1.5}}, "scenario.observed_origins.texas.east",
         "a number >= 0"),
    ],
)  # fmt: skip
def test_observed_origins_are_checked(
    baseline: dict[str, Any], origins: dict[str, Any], key: str, expected: str
) -> None:
    _good_then_bad(baseline, "scenario.observed_origins", ORIGINS, origins, key, expected)


def test_an_origin_must_serve_its_region(baseline: dict[str, Any]) -> None:
    cfg = copy.deepcopy(baseline)
    del cfg["scenario"]["regions"]["pacific"]["zone_to"]["east"]
    cfg["scenario"]["observed_origins"] = {"pacific": {"east": 0.5, "west": 0.5}}
    _refused(cfg, "scenario.observed_origins.pacific.east", "a warehouse serving pacific")


def test_as_logged_without_observed_origins_is_refused(baseline: dict[str, Any]) -> None:
    from policies.routing.as_logged import AsLoggedRouting

    with pytest.raises(ConfigError, match=r"^scenario\.observed_origins: expected origin shares"):
        AsLoggedRouting().start(build(baseline["scenario"]), 1)


def test_as_logged_draws_origins_and_modes_as_logged(baseline: dict[str, Any]) -> None:
    """Origins follow observed_origins, modes the level's mode_mix, from the policy stream; the
    orders are the same as under nearest (common random numbers)."""
    from policies.monitoring.none import NoMonitoring
    from policies.routing.as_logged import AsLoggedRouting
    from policies.routing.nearest import NearestRouting
    from sim.engine import run

    sc = copy.deepcopy(baseline["scenario"])
    sc["observed_origins"] = copy.deepcopy(ORIGINS)
    sc["inventory"]["enabled"] = False
    sc["service_levels"]["standard"]["mode_mix"] = {"ground": 0.6, "economy": 0.4}
    validate({**baseline, "scenario": sc})
    world = build(sc)
    logged = run(world, AsLoggedRouting(), NoMonitoring(), 3, 1.0, 0.0, cooldown_days=0.0).orders
    nearest = run(world, NearestRouting(), NoMonitoring(), 3, 1.0, 0.0, cooldown_days=0.0).orders
    assert np.array_equal(logged["created_h"], nearest["created_h"])
    texas = logged["region"] == "texas"
    n = texas.sum()
    share_east = (logged["warehouse"][texas] == "east").mean()
    assert abs(share_east - 0.7) < 4 * np.sqrt(0.21 / n)
    assert set(logged["warehouse"][texas]) == {"east", "south"}
    assert (logged["warehouse"][logged["region"] == "pacific"] == "west").all()
    other = ~np.isin(logged["region"], list(ORIGINS))  # not observed: nearest, as nearest does
    assert np.array_equal(logged["warehouse"][other], nearest["warehouse"][other])
    standard = logged["service_level"] == "standard"
    share_ground = (logged["mode"][standard] == "ground").mean()
    assert abs(share_ground - 0.6) < 4 * np.sqrt(0.24 / standard.sum())
    assert (logged["mode"][~standard] == "air").all()


# -- dates in the report ---------------------------------------------------------------------------
def test_report_reads_dated_storms_and_draws_dates() -> None:
    """A storm given by date is shaded at its hour; time axes are dates from start_date."""
    import datetime

    import matplotlib.dates as mdates

    from sim.report.charts_time import disruption_timeline, disruptions, start_date
    from sim.report.series import Timeline

    scenario = {
        "start_date": "2025-11-24",
        "weather": {"storms": [{"region": "texas", "start": "2025-11-26", "duration_h": 24.0}]},
    }
    (storm,) = disruptions(scenario)
    assert (storm.start_h, storm.end_h) == (48.0, 72.0)
    hours = np.arange(0.0, 24.0 * 6, 1.0)
    timeline = Timeline(hours, np.ones_like(hours), np.zeros_like(hours))
    fig = disruption_timeline(
        {("storm", "nearest"): timeline}, {"storm": [storm]}, {"storm": start_date(scenario)}
    )
    assert fig is not None
    ax = fig.axes[0]
    low, high = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    assert low == datetime.datetime(2025, 11, 24)
    assert high == datetime.datetime(2025, 11, 29, 23)
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
