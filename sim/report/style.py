"""One chart style for the whole report, and byte-identical PNGs on every rebuild.

Fixed fonts and sizes, a colour-blind-safe palette keyed by policy so a policy keeps its colour in
every chart, and PNG metadata stripped (no software version, no timestamp). Figures are plain
``matplotlib.figure.Figure`` objects: no global figure registry, no backend chosen on import;
``savefig`` renders the PNG with Agg.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
from matplotlib.figure import Figure

# Okabe-Ito, reordered so the first (baseline) policy is a calm grey-blue.
PALETTE = (
    "#4C6A92",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
GOOD, BAD, NEUTRAL = "#009E73", "#D55E00", "#8C8C8C"
DPI = 110
P = ParamSpec("P")
R = TypeVar("R")

RC: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#444444",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.family": "DejaVu Sans",
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "path.simplify": True,
}


def house_style(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function inside the house rc settings (applied when artists are created)."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(RC):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return wrapper


def colours(policies: Sequence[str]) -> dict[str, str]:
    """A fixed colour per policy, in sweep order."""
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(policies)}


def figure(ncols: int = 1, nrows: int = 1, width: float = 10.0, height: float = 4.2) -> Figure:
    """A new figure, registered nowhere, so nothing leaks between charts."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    fig.subplots(nrows, ncols, squeeze=False)
    return fig


def title(fig: Figure, finding: str, subtitle: str = "") -> None:
    """A title that states the finding; the subtitle says what is plotted."""
    fig.suptitle(finding, x=0.01, ha="left", fontsize=12.5, fontweight="bold")
    if subtitle:  # placed by constrained layout, under the panels
        fig.supxlabel(subtitle, x=0.01, ha="left", fontsize=8.5, color="#555555")


def legend_below(fig: Figure) -> None:
    """One legend for the figure, right of the panels (labels from the first panel with any)."""
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside right center")
            return


def save(fig: Figure, path: Path) -> Path:
    """Write a PNG with no metadata, so rebuilding the report gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None}, bbox_inches="tight")
    return path
