"""The learned router's model as plain data: flat tree arrays, residual quantiles, two
coefficients and JSON metadata, stored in one ``.npz`` file.

Loading reads arrays only (``allow_pickle=False``), so a model file found on disk can be wrong
but can never run code; a pickle, a ``.joblib`` file or an array of objects is refused, never
unpickled. The header records a SHA-256 of the model's content (every array and the header
itself, provenance included: the world it was trained for, its seeds, library versions), checked
on load, so a file edited or truncated after it was written is refused as well. Training
(simulating history, fitting, caching) lives in :mod:`sim.learning`; the router only uses a
model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from policies.routing.flat_trees import ARRAYS, FlatForest

FORMAT = "ordertwin-router-model"
FORMAT_VERSION = 1
HASH_KEY = "content_sha256"
RESIDUAL_QUANTILES = np.linspace(0.0, 1.0, 201)
CENSORED_TAIL_DAYS = 8.0  # orders decided this close to the end of history may not have arrived


class ModelFileError(ValueError):
    """A model file that is not a readable ordertwin router model."""


@dataclass(frozen=True)
class RouterModel:
    """Everything the learned router needs."""

    delivery: FlatForest  # delivery hours from decision, per candidate's features
    residual_quantiles_h: np.ndarray  # [risk group, quantile] of held-out residuals
    pseudo_urgency_coef: float  # logistic curve on logit(behaviour signal)
    pseudo_urgency_intercept: float
    feature_names: tuple[str, ...]
    metadata: dict[str, Any]
    # [2, knots]: a monotone map from the residuals' late probability to the observed late share
    # on held-out seeds (isotonic); None = the residual probability as it is (older models)
    late_risk_map: np.ndarray | None = None

    @property
    def training_seeds(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.metadata["training_seeds"])

    def late_probability(
        self, predicted_h: np.ndarray, slack_h: np.ndarray, group: np.ndarray
    ) -> np.ndarray:
        """P(delivery later than predicted + slack), from the held-out residuals of each
        candidate's risk group (see :meth:`risk_group`), recalibrated on held-out seeds."""
        p = late_probability(self.residual_quantiles_h, predicted_h, slack_h, group)
        return recalibrated(p, self.late_risk_map)

    def risk_group(self, features: np.ndarray) -> np.ndarray:
        """Each candidate's row of ``residual_quantiles_h``: its mode, plus the number of modes
        when a storm is forecast at its warehouse or destination (models with storm groups:
        2 x modes rows; a storm widens delivery times, so its residuals are kept apart)."""
        return risk_groups(features, self.feature_names, len(self.residual_quantiles_h))

    def group_of(self, mode: np.ndarray, storm: np.ndarray) -> np.ndarray:
        """:meth:`risk_group` from what the features were made of: each candidate's mode and
        whether a storm is forecast at its warehouse or destination."""
        if len(self.residual_quantiles_h) == 2 * self.n_modes:
            return mode + self.n_modes * storm
        return mode

    @cached_property
    def n_modes(self) -> int:
        return sum(name.startswith("mode_") for name in self.feature_names)

    def pseudo_urgent_probability(self, signal: np.ndarray) -> np.ndarray:
        """P(pseudo-urgent | behaviour signal): the fitted logistic curve."""
        logit = special.logit(np.clip(signal, 1e-6, 1 - 1e-6))
        return np.asarray(
            special.expit(self.pseudo_urgency_coef * logit + self.pseudo_urgency_intercept)
        )


def risk_groups(features: np.ndarray, names: tuple[str, ...], n_groups: int) -> np.ndarray:
    """Risk group per row of ``features``: mode, + modes if storm-exposed and ``n_groups`` is
    twice the modes (see :meth:`RouterModel.risk_group`)."""
    modes = [i for i, name in enumerate(names) if name.startswith("mode_")]
    group = np.argmax(features[:, modes], axis=1)
    if n_groups == 2 * len(modes):
        storm = (features[:, names.index("storm_at_destination")] > 0) | (
            features[:, names.index("storm_at_warehouse")] > 0
        )
        group = group + len(modes) * storm
    return group


def late_probability(
    quantiles_h: np.ndarray, predicted_h: np.ndarray, slack_h: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """P(residual > slack - predicted) per row, from [group, quantile] residual quantiles."""
    margin = slack_h - predicted_h
    counts = np.bincount(group, minlength=len(quantiles_h))
    if np.count_nonzero(counts) == 1:
        return 1.0 - np.interp(margin, quantiles_h[group[0]], RESIDUAL_QUANTILES)
    # rows sorted by group: one interpolation per group over a slice, no masks
    order = np.argsort(group, kind="stable")
    by_group = margin[order]
    cdf = np.empty(len(margin))
    ends = np.cumsum(counts)
    for g in np.flatnonzero(counts):
        rows = slice(ends[g] - counts[g], ends[g])
        cdf[rows] = np.interp(by_group[rows], quantiles_h[g], RESIDUAL_QUANTILES)
    out = np.empty(len(margin))
    out[order] = 1.0 - cdf
    return out


def recalibrated(p: np.ndarray, late_risk_map: np.ndarray | None) -> np.ndarray:
    """``p`` through a monotone ``[2, knots]`` map (piecewise linear, flat beyond its ends), as
    an isotonic regression predicts; ``p`` unchanged without a map."""
    if late_risk_map is None or late_risk_map.shape[1] == 0:
        return p
    return np.interp(p, late_risk_map[0], late_risk_map[1])


def content_hash(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the header (without its hash) and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    plain = {k: v for k, v in header.items() if k != HASH_KEY}
    digest.update(json.dumps(plain, sort_keys=True).encode())
    for name in sorted(arrays):
        if name == "header":
            continue
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_model(model: RouterModel, path: Path) -> Path:
    """Write atomically (parallel sweep jobs may train the same model at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "feature_names": list(model.feature_names),
        "depth": model.delivery.depth,
        "baseline": model.delivery.baseline,
        "pseudo_urgency_coef": model.pseudo_urgency_coef,
        "pseudo_urgency_intercept": model.pseudo_urgency_intercept,
        "metadata": model.metadata,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            arrays: dict[str, Any] = {f"tree_{k}": v for k, v in model.delivery.arrays().items()}
            arrays["residual_quantiles_h"] = model.residual_quantiles_h
            if model.late_risk_map is not None:
                arrays["late_risk_map"] = model.late_risk_map
            header[HASH_KEY] = content_hash(header, arrays)
            arrays["header"] = np.array(json.dumps(header))
            np.savez(out, **arrays)  # plain dtypes only: loads with allow_pickle=False
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a model file is shareable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _risk_map(array: np.ndarray | None) -> np.ndarray | None:
    """The stored recalibration map, checked: two rows, knots rising, shares in [0, 1]."""
    if array is None:
        return None
    m = np.asarray(array, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != 2 or np.any(np.diff(m[0]) < 0) or np.any((m < 0) | (m > 1)):
        raise ValueError("late_risk_map: expected 2 rows of rising knots in [0, 1]")
    return m


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_model(path: Path) -> RouterModel:
    """Read a model file; anything else gives :class:`ModelFileError` naming the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        header = json.loads(str(arrays["header"]))
        if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
            raise ModelFileError(f"{path}: not an {FORMAT} file of version {FORMAT_VERSION}")
        if header.get(HASH_KEY) != content_hash(header, arrays):
            raise ModelFileError(
                f"{path}: its content does not match its recorded {HASH_KEY} (changed after it "
                "was written, or written by an older ordertwin: retrain it)"
            )
        forest = FlatForest.from_arrays(
            {k: arrays[f"tree_{k}"] for k in ARRAYS}, header["depth"], header["baseline"]
        )
        return RouterModel(
            delivery=forest,
            residual_quantiles_h=np.asarray(arrays["residual_quantiles_h"], dtype=np.float64),
            pseudo_urgency_coef=float(header["pseudo_urgency_coef"]),
            pseudo_urgency_intercept=float(header["pseudo_urgency_intercept"]),
            feature_names=tuple(str(n) for n in header["feature_names"]),
            metadata=dict(header["metadata"]),
            late_risk_map=_risk_map(arrays.get("late_risk_map")),
        )
    except ModelFileError:
        raise
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    ) as err:
        raise ModelFileError(f"{path}: not a readable router model ({err})") from None
