"""Storms per region and the forecasts issued ahead of them, drawn up front.

Storm onsets are Poisson per region (rate per day), durations from the configured distribution,
severity uniform in [severity_min, severity_max], each day from its own streams (so a day's
weather is the same whatever the horizon); scripted storms are added. Forecasts have DOMAIN's
skill: a real storm is forecast ``forecast_lead_h`` ahead with probability ``forecast_hit_p``,
or else ``forecast_late_lead_h`` ahead so that ``forecast_late_hit_p`` of storms are forecast by
then; false alarms make up ``false_alarm_ratio`` of all forecasts. A forecast's start is off by a
normal error whose sd grows with the lead (``forecast_start_sd_h_per_lead_day``), its severity by
one of sd ``forecast_severity_sd`` (kept in the severity range), and its end is the predicted
start plus the mean duration. Policies see :class:`PublicForecasts`, never
:class:`StormTimeline`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from scenarios.world import World
from sim.engine.contract import read_only
from sim.engine.streams import RandomStreams


@dataclass(frozen=True)
class StormTimeline:
    """The true storms (hidden truth): per-storm columns, sorted by start."""

    region: np.ndarray
    start_h: np.ndarray
    end_h: np.ndarray
    severity: np.ndarray
    _steps: dict[int, tuple[list[float], list[float]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def severity_at(self, region: int, t_h: float) -> float:
        """Worst severity of storms over ``region`` at time ``t_h`` (0 if clear).

        Asked on every pick in a storm-prone region, so each region's storms are turned once into
        a step function (change points, worst severity from each) and looked up by bisection.
        """
        steps = self._steps.get(region)
        if steps is None:
            steps = self._step_function(region)
            self._steps[region] = steps
        times, levels = steps
        k = bisect.bisect_right(times, t_h) - 1
        return levels[k] if k >= 0 else 0.0

    def _step_function(self, region: int) -> tuple[list[float], list[float]]:
        mine = self.region == region
        starts, ends, sev = self.start_h[mine], self.end_h[mine], self.severity[mine]
        times = sorted(set(starts.tolist()) | set(ends.tolist()))
        levels = [float(max(sev[(starts <= t) & (ends > t)], default=0.0)) for t in times]
        return times, levels

    def worst_overlap(
        self,
        regions: np.ndarray,
        t0_h: np.ndarray,
        t1_h: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per parcel: worst severity of storms over its region overlapping [t0, t1], and the
        latest end of those storms (NaN if none)."""
        worst = np.zeros(len(regions))
        end = np.full(len(regions), np.nan)
        for s in range(len(self.region)):
            hit = (regions == self.region[s]) & (t0_h < self.end_h[s]) & (t1_h > self.start_h[s])
            if hit.any():
                worst[hit] = np.maximum(worst[hit], self.severity[s])
                end[hit] = np.fmax(end[hit], self.end_h[s])
        return worst, end


@dataclass(frozen=True)
class PublicForecasts:
    """Issued storm forecasts: what a policy may know about the weather."""

    region: np.ndarray
    issued_h: np.ndarray
    start_h: np.ndarray  # predicted
    end_h: np.ndarray  # predicted
    severity: np.ndarray  # predicted

    def active(self, n_regions: int, now_h: float) -> np.ndarray:
        """Per region: True if a forecast issued by ``now_h`` predicts a storm not yet over."""
        live = (self.issued_h <= now_h) & (self.end_h > now_h)
        out = np.zeros(n_regions, dtype=bool)
        out[self.region[live]] = True
        return out

    def outlook(self, n_regions: int, now_h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per region: predicted (start, end) hours and severity of the earliest forecast storm
        not yet over; (inf, inf, 0) where none is forecast."""
        first = self._earliest(n_regions, now_h)
        known = first >= 0
        if not known.any():  # (also when no forecast was ever issued: nothing to index)
            return np.full(n_regions, np.inf), np.full(n_regions, np.inf), np.zeros(n_regions)
        return (
            np.where(known, self.start_h[first], np.inf),
            np.where(known, self.end_h[first], np.inf),
            np.where(known, self.severity[first], 0.0),
        )

    def next_change_h(self, now_h: float) -> float:
        """The first hour after ``now_h`` at which a forecast is issued or ends: the outlook stays
        the same until then."""
        times = np.concatenate([self.issued_h, self.end_h])
        later = times[times > now_h]
        return float(later.min()) if len(later) else np.inf

    def _earliest(self, n_regions: int, now_h: float) -> np.ndarray:
        """Per region: the forecast (index) of the earliest storm issued and not yet over, -1."""
        first = np.full(n_regions, -1, dtype=np.int64)
        live = np.flatnonzero((self.issued_h <= now_h) & (self.end_h > now_h))
        for k in live[np.argsort(self.start_h[live], kind="stable")[::-1]]:
            first[self.region[k]] = k
        return first


@dataclass(frozen=True)
class Forecasts(PublicForecasts):
    """Issued forecasts with the hidden link to the storm each one foretells."""

    true_storm: np.ndarray  # index into the timeline, -1 for a false alarm (hidden)

    def public(self) -> PublicForecasts:
        """The forecasts without the hidden link, as read-only copies."""
        columns = (self.region, self.issued_h, self.start_h, self.end_h, self.severity)
        return PublicForecasts(*(read_only(a) for a in columns))


def _day_storms(
    world: World, day: int, streams: RandomStreams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One day's random storms (region, start, duration, severity, forecast draws [storm, 3]:
    the uniform that decides the forecast's lead and two standard normal errors), all regions
    at once, from that day's ``weather`` and ``forecast`` streams."""
    w = world.weather
    rng = streams.day("weather", day)
    counts = rng.poisson(w.storm_rate_per_day)
    n = int(counts.sum())
    region = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    start = 24.0 * (day + rng.random(n))
    duration = w.storm_duration.quantile(rng.random(n))
    severity = w.severity_min + (w.severity_max - w.severity_min) * rng.random(n)
    return region, start, duration, severity, _forecast_draws(streams.day("forecast", day), n)


def _forecast_draws(rng: np.random.Generator, n: int) -> np.ndarray:
    """[n, 3]: a uniform for the lead (or a miss), the start error and the severity error."""
    draws = np.empty((n, 3))
    draws[:, 0] = rng.random(n)
    draws[:, 1:] = rng.standard_normal((n, 2))
    return draws


def _day_false_alarms(
    world: World, day: int, streams: RandomStreams, false_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One day's false alarms (region, predicted start, predicted severity), from a ``forecast``
    sub-stream of the day (so the day's forecast hits never shift them)."""
    w = world.weather
    rng = streams.day("forecast", day, "false_alarms")
    counts = rng.poisson(false_rate)
    region = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    n = int(counts.sum())
    start = 24.0 * (day + rng.random(n))
    severity = w.severity_min + (w.severity_max - w.severity_min) * rng.random(n)
    return region, start, severity


def generate_weather(
    world: World,
    end_h: float,
    streams: RandomStreams,
) -> tuple[StormTimeline, Forecasts]:
    """True storms starting on the days up to ``end_h``, their forecasts and false alarms; each
    day drawn from its own streams, so the weather of a day does not depend on the horizon.

    The caller passes ``end_h`` at least ``forecast_lead_h`` past the run's end, so every forecast
    that can be issued during the run is there.
    """
    w = world.weather
    n_days = int(np.ceil(end_h / 24.0))
    days = [_day_storms(world, day, streams) for day in range(n_days)]
    regions, starts, durations, severities, draws = ([d[k] for d in days] for k in range(5))
    for i, s in enumerate(w.scripted):
        regions.append(np.array([s.region], dtype=np.int64))
        starts.append(np.array([s.start_h]))
        durations.append(np.array([s.duration_h]))
        severities.append(np.array([s.severity]))
        scripted = _forecast_draws(
            streams.day("forecast", int(s.start_h // 24), "scripted", str(i)), 1
        )
        scripted[:, 0] = 0.0 if s.forecast else 1.0  # forecast at the full lead, or never
        draws.append(scripted)
    region = np.concatenate([np.empty(0, dtype=np.int64), *regions]).astype(np.int64)
    start = np.concatenate([np.empty(0), *starts])
    end = start + np.concatenate([np.empty(0), *durations])
    severity = np.concatenate([np.empty(0), *severities])
    order = np.argsort(start, kind="stable")
    timeline = StormTimeline(region[order], start[order], end[order], severity[order])
    draw = np.concatenate([np.empty((0, 3)), *draws])[order]
    # lead: the full lead with forecast_hit_p, else the late lead up to forecast_late_hit_p
    lead = np.where(
        draw[:, 0] < w.forecast_hit_p,
        w.forecast_lead_h,
        np.where(draw[:, 0] < w.forecast_late_hit_p, w.forecast_late_lead_h, np.nan),
    )
    hits_idx = np.flatnonzero(~np.isnan(lead))
    lead = lead[hits_idx]
    start_sd = w.forecast_start_sd_h_per_lead_day * lead / 24.0
    predicted = timeline.start_h[hits_idx] + start_sd * draw[hits_idx, 1]
    hit_severity = np.clip(
        timeline.severity[hits_idx] + w.forecast_severity_sd * draw[hits_idx, 2],
        w.severity_min,
        w.severity_max,
    )

    # false alarms: FAR = false / (false + hits)  =>  false rate = hit rate x FAR / (1 - FAR)
    false_rate = (
        w.storm_rate_per_day
        * w.forecast_late_hit_p
        * w.false_alarm_ratio
        / (1.0 - w.false_alarm_ratio)
    )
    alarms = [_day_false_alarms(world, day, streams, false_rate) for day in range(n_days)]
    fa_r = np.concatenate([a[0] for a in alarms] or [np.empty(0, dtype=np.int64)])
    fa_s = np.concatenate([a[1] for a in alarms] or [np.empty(0)])
    fa_sev = np.concatenate([a[2] for a in alarms] or [np.empty(0)])
    mean_duration = w.storm_duration.mean
    start_h = np.concatenate([predicted, fa_s])
    forecasts = Forecasts(
        region=np.concatenate([timeline.region[hits_idx], fa_r]).astype(np.int64),
        issued_h=np.concatenate([timeline.start_h[hits_idx] - lead, fa_s - w.forecast_lead_h]),
        start_h=start_h,
        end_h=start_h + mean_duration,
        severity=np.concatenate([hit_severity, fa_sev]),
        true_storm=np.concatenate([hits_idx, np.full(len(fa_r), -1)]),
    )
    return timeline, forecasts
