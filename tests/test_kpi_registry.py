"""The KPI registry: every KPI a run writes is in it, the README lists exactly its keys, and the
report describes each KPI from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.engine.kpis import BY_KEY, KPIS, SUMMARY, Kpi, KpiFamily, expand, kpi
from sim.report.kpis import DEFAULT_HALF_WIDTHS, HEADLINE, info
from tests.helpers import run_config, world_of

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### KPIs (`kpis.json`)"


def readme_keys() -> list[str]:
    """Backticked names in the first column of the README's KPI table."""
    text = README.read_text()
    assert SECTION in text, "the README lost its KPI section"
    section = text.split(SECTION, 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [key for row in rows for key in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


def test_readme_lists_exactly_the_registry_keys() -> None:
    listed = readme_keys()
    assert len(listed) == len(set(listed)), "a KPI is listed twice"
    assert set(listed) == {entry.key for entry in KPIS}


def test_every_kpi_of_a_run_is_in_the_registry_in_its_order() -> None:
    world = world_of("scenario=storm")
    result = run_config("scenario=storm", "monitoring=sla_rules", "horizon_days=2", "warmup_days=1")
    assert list(result.kpis) == [k.key for k in expand(world.mode_names)]
    assert all(kpi(key) is not None for key in result.kpis)
    assert {f"mode_share_{m}" for m in world.mode_names} <= set(result.kpis)


def test_keys_are_unique_and_families_resolve_to_members() -> None:
    keys = [k.key for k in expand(("air", "ground"))]
    assert len(keys) == len(set(keys))
    family = next(e for e in KPIS if isinstance(e, KpiFamily))
    air = kpi("mode_share_air")
    assert isinstance(air, Kpi) and air.label == "air share" and air.unit == family.unit
    assert kpi("mode_share_") is None and kpi("no_such_kpi") is None


def test_summary_and_headline_keys_are_registered_with_a_format() -> None:
    assert set(SUMMARY) <= set(BY_KEY)  # the run's terminal table reads label and format there
    for key in (*SUMMARY, *HEADLINE):
        entry = kpi(key)
        assert entry is not None, key
        assert entry.fmt.format(0.5)


@pytest.mark.parametrize(
    ("key", "label", "higher", "fmt", "unit"),
    [
        ("cost_per_order", "cost per order (USD)", False, "{:.2f}", "USD"),
        ("nps", "NPS proxy", True, "{:+.1f}", "points"),
        ("orders_alerted", "orders alerted", None, "{:,.0f}", ""),
        ("alerts_red", "alerts red", None, "{:.4g}", ""),
        ("mode_share_air", "air share", None, "{:.1%}", "pp"),
        ("policy_own_kpi", "policy own kpi", None, "{:.4g}", ""),  # not in the registry
    ],
)
def test_report_reads_label_direction_and_format_from_the_registry(
    key: str, label: str, higher: bool | None, fmt: str, unit: str
) -> None:
    k = info(key)
    assert (k.key, k.label, k.higher_is_better, k.fmt, k.unit) == (key, label, higher, fmt, unit)


def test_default_half_widths_come_from_the_registry_in_headline_order() -> None:
    assert DEFAULT_HALF_WIDTHS == {
        "cost_per_order": 0.05,
        "nps": 0.5,
        "on_time_rate": 0.005,
        "delivery_time_mean_h": 0.5,
    }
    assert list(DEFAULT_HALF_WIDTHS) == [k for k in HEADLINE if k in DEFAULT_HALF_WIDTHS]
