"""A level (and trend) of monthly volume seen through counting noise whose size is known.

Monthly order counts are Poisson around the month's rate, so on the log scale a month of ``n``
orders carries a counting variance of ``1 / n``: 9-16% sd for the 40-130-order months a young
log starts with, 6% at 300. A model that fits one noise variance for every month reads the
early months' counting noise as movement of the level and forecasts with it. Here the counting
part is given, month by month, as a known observation variance, and only what counting cannot
explain is fitted: an extra month-to-month scatter of the rate (``sigma2.extra``: seasons,
promotions) and the innovations of the states. A state-space model from statsmodels
(:class:`~statsmodels.tsa.statespace.mlemodel.MLEModel`, exact diffuse initialisation, maximum
likelihood by the Kalman filter) in five forms:

- ``level``: a local level (a random walk);
- ``trend``: a local linear trend (level and slope both random walks);
- ``damped trend``: level plus a slope that fades by ``damping`` a month, so growth levels off;
- ``level + season`` and ``damped trend + season``: the same plus **month-of-year effects**,
  eleven states of the dummy-seasonal form (the twelve effects sum to zero on the log scale) with
  **no innovation**: fixed effects, estimated from the diffuse start like the level. Two to four
  years give each month two to four looks, too few to tell a season that drifts from one that
  does not (a seasonal innovation variance would sit at zero or soak up the extra scatter), and
  a retailer's seasons are mostly the calendar's; their uncertainty is the filter's state
  covariance, which forecast paths draw.

The variances are estimated as squares of free numbers (statsmodels' own convention for its
structural models), so a variance the data put at zero is a free number at zero, not a bound;
the damping factor is a logistic of a free number inside :data:`DAMPING_BOUNDS`.

**Parameter uncertainty** (:func:`parameter_draws`) is the normal approximation of the
likelihood at the estimate, in standard deviations and the damping factor itself
(:func:`to_draw_space`), where it is close to quadratic (Olist through 2017: damping 0.82 best,
0.98 1.9 log-units worse, as a normal with sd 0.08 says); draws are squared back into variances
and the damping clipped into its range.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import expit, logit

SEASON = " + season"
# simplest first; seasonal twins after every non-seasonal kind, so the one-standard-error rule
# keeps a model without seasons unless the seasons clearly pay
KINDS = ("level", "damped trend", "trend", "level + season", "damped trend + season")
DAMPING_BOUNDS = (0.8, 0.98)  # the range of the damping factor (statsmodels' own for ETS)
MONTHS_A_YEAR = 12


def is_seasonal(kind: str) -> bool:
    return kind.endswith(SEASON)


def base_kind(kind: str) -> str:
    """The kind without its seasons (``damped trend + season``: ``damped trend``)."""
    return kind.removesuffix(SEASON)


def _trend_states(kind: str) -> int:
    return 1 if base_kind(kind) == "level" else 2


def n_states(kind: str) -> int:
    """Level (and slope), then the eleven seasonal states of a seasonal kind."""
    return _trend_states(kind) + (MONTHS_A_YEAR - 1 if is_seasonal(kind) else 0)


def design(kind: str) -> np.ndarray:
    """What a month's log rate reads from the state: the level, plus this month's effect."""
    out = np.zeros(n_states(kind))
    out[0] = 1.0
    if is_seasonal(kind):
        out[_trend_states(kind)] = 1.0
    return out


def innovation_variances(kind: str, params: np.ndarray) -> np.ndarray:
    """Each state's innovation variance: level (and slope) fitted, the seasons' zero."""
    out = np.zeros(n_states(kind))
    k = _trend_states(kind)
    out[:k] = np.asarray(params, dtype=float)[1 : 1 + k]
    return out


def model_class() -> type:
    """The statsmodels model class, built on first use (statsmodels loads in ~1 s)."""
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    class CountedLevel(MLEModel):
        """Log monthly volume = level (+ trend) + extra scatter + counting noise of known
        variance (``counting_var``: 1 / orders counted; NaN months are missing)."""

        def __init__(self, log_y: np.ndarray, counting_var: np.ndarray, kind: str) -> None:
            k, innovated = n_states(kind), _trend_states(kind)
            super().__init__(
                np.asarray(log_y, dtype=float),
                k_states=k,
                k_posdef=innovated,
                initialization="diffuse",
            )
            self.kind = kind
            self.counting_var = np.where(np.isfinite(counting_var), counting_var, 0.0)
            self.ssm["design"] = design(kind)[None, :]
            self.ssm["selection"] = np.eye(k, innovated)
            self.ssm["transition"] = transition(kind, self.start_params)
            self.ssm["obs_cov"] = self.counting_var[None, None, :].copy()

        @property
        def param_names(self) -> list[str]:
            names = ["sigma2.extra", "sigma2.level"]
            if base_kind(self.kind) != "level":
                names.append("sigma2.trend")
            if base_kind(self.kind) == "damped trend":
                names.append("damping")
            return names

        @property
        def start_params(self) -> np.ndarray:
            y = np.asarray(self.endog, dtype=float).ravel()
            diffs = np.diff(y[np.isfinite(y)])
            spread = float(np.var(diffs)) if len(diffs) > 1 else 0.01
            start = [spread / 4, spread / 4]
            if base_kind(self.kind) != "level":
                start.append(spread / 40)
            if base_kind(self.kind) == "damped trend":
                start.append(0.9)
            return np.asarray(start, dtype=float)

        def transform_params(self, unconstrained: np.ndarray) -> np.ndarray:
            out = np.asarray(unconstrained, dtype=float) ** 2
            if base_kind(self.kind) == "damped trend":
                low, high = DAMPING_BOUNDS
                out[-1] = low + (high - low) * expit(unconstrained[-1])
            return out

        def untransform_params(self, constrained: np.ndarray) -> np.ndarray:
            out = np.sqrt(np.abs(np.asarray(constrained, dtype=float)))
            if base_kind(self.kind) == "damped trend":
                low, high = DAMPING_BOUNDS
                inside = np.clip((constrained[-1] - low) / (high - low), 1e-6, 1 - 1e-6)
                out[-1] = logit(inside)
            return out

        def update(self, params: Any, **kwargs: Any) -> Any:
            params = super().update(params, **kwargs)
            self.ssm["obs_cov"] = (self.counting_var + params[0])[None, None, :]
            k = _trend_states(self.kind)
            self.ssm["state_cov"] = np.diag(params[1 : 1 + k])
            if base_kind(self.kind) == "damped trend":
                self.ssm["transition"] = transition(self.kind, params)
            return params

    return CountedLevel


STARTS = (1.0, 0.1)  # start variances scaled by these: the likelihood can have two ridges


def fit_counted_level(log_y: np.ndarray, counting_var: np.ndarray, kind: str) -> Any:
    """The maximum-likelihood fit, from the model's start and a start with little state noise
    (the likeliest kept): a dozen months leave a ridge where one start stops short.

    BLAS is held to one thread: on matrices of a dozen states its threads only synchronise, and
    on a busy machine they wait for each other (cross-validating a 36-month log: 28-34 s with
    OpenBLAS's threads, 7-8 s without, measured alternately at load average ~5 on 2 cores)."""
    from threadpoolctl import threadpool_limits

    model = model_class()(log_y, counting_var, kind)
    best = None
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore")
        for scale in STARTS:
            start = model.start_params.copy()
            start[1 : 1 + _trend_states(kind)] *= scale
            res = model.fit(start_params=start, disp=False, maxiter=200, cov_type="none")
            if best is None or res.llf > best.llf + 1e-9:
                best = res
    return best


def transition(kind: str, params: np.ndarray) -> np.ndarray:
    """One month's step: the level (plus the slope, damped or not); a seasonal kind's effects
    rotate, the next month's being minus the sum of the last eleven (a year sums to zero)."""
    k, t = n_states(kind), _trend_states(kind)
    out = np.zeros((k, k))
    out[0, 0] = 1.0
    if t == 2:
        damping = float(params[-1]) if base_kind(kind) == "damped trend" else 1.0
        out[:2, :2] = [[1.0, 1.0], [0.0, damping]]
    if is_seasonal(kind):
        out[t, t:] = -1.0
        out[t + 1 :, t : k - 1] = np.eye(k - t - 1)
    return out


def point_forecast(res: Any, months: int) -> np.ndarray:
    """The log rate's forecast for the next ``months`` (the mean of the state carried on)."""
    kind = res.model.kind
    step = transition(kind, np.asarray(res.params, dtype=float))
    read = design(kind)
    state = np.asarray(res.filtered_state[:, -1], dtype=float)
    out = []
    for _ in range(months):
        state = step @ state
        out.append(float(read @ state))
    return np.asarray(out)


def to_draw_space(kind: str, params: np.ndarray) -> np.ndarray:
    """Where the likelihood is close to normal: standard deviations (a variance the data put at
    zero is a standard deviation at zero, inside the space rather than on its edge) and the
    damping factor itself (its logistic free number is flat towards a bound, so a normal there
    would pile draws on the bounds)."""
    out = np.sqrt(np.abs(np.asarray(params, dtype=float)))
    if base_kind(kind) == "damped trend":
        out[-1] = params[-1]
    return out


def from_draw_space(kind: str, drawn: np.ndarray) -> np.ndarray:
    """Parameters from a draw: variances the squares, the damping clipped into its range."""
    out = np.asarray(drawn, dtype=float) ** 2
    if base_kind(kind) == "damped trend":
        out[..., -1] = np.clip(drawn[..., -1], *DAMPING_BOUNDS)
    return out


def draw_space_cov(res: Any) -> np.ndarray:
    """Covariance of the estimate in :func:`to_draw_space`, from the numerical Hessian of the
    log-likelihood there; directions it is flat along (no curvature) get none: they are held at
    the estimate (the draws cannot say how far they go)."""
    from statsmodels.tools.numdiff import approx_hess3

    model = res.model
    kind = model.kind
    z = to_draw_space(kind, np.asarray(res.params, dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hess = approx_hess3(z, lambda v: model.loglike(from_draw_space(kind, v)))
    info = -(hess + hess.T) / 2.0
    if not np.all(np.isfinite(info)):
        return np.zeros_like(info)
    values, vectors = np.linalg.eigh(info)
    keep = values > 1e-8 * max(float(values.max()), 1.0)
    inverse = np.where(keep, 1.0 / np.where(keep, values, 1.0), 0.0)
    return np.asarray((vectors * inverse) @ vectors.T)


WALD_Z = 1.96


def near_bound(kind: str, params: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Which parameters' 95% Wald interval in :func:`to_draw_space` crosses an edge of their
    range (a standard deviation at 0, the damping at :data:`DAMPING_BOUNDS`); one without a
    usable standard error counts too."""
    z = to_draw_space(kind, params)
    se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.inf))
    low = np.zeros(len(z))
    high = np.full(len(z), np.inf)
    if base_kind(kind) == "damped trend":
        low[-1], high[-1] = DAMPING_BOUNDS
    return np.asarray(np.minimum(z - low, high - z) < WALD_Z * se)


def parameter_draws(res: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` parameter sets from the estimate's normal approximation in :func:`to_draw_space`,
    the parameters :func:`near_bound` held at their estimate and the others drawn given them:
    at an edge the normal approximation fails (a standard deviation estimated at zero is not a
    normal around zero), and drawing it there widens the bands past what happens (synthetic
    logs: 99% coverage of 90% bands on a steady trend)."""
    kind = res.model.kind
    params = np.asarray(res.params, dtype=float)
    z = to_draw_space(kind, params)
    cov = draw_space_cov(res)
    free = ~near_bound(kind, params, cov)
    drawn = np.tile(z, (n, 1))
    if free.any():
        sub = cov[np.ix_(free, free)]
        if (~free).any():  # the free ones given the held ones at their estimates
            cross = cov[np.ix_(free, ~free)]
            sub = sub - cross @ np.linalg.pinv(cov[np.ix_(~free, ~free)]) @ cross.T
        drawn[:, free] = rng.multivariate_normal(z[free], sub, size=n, method="eigh")
    return from_draw_space(kind, drawn)
