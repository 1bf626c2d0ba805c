"""Every benchmark of BENCHMARKS.md, each measured in whole child processes (run on demand).

    python benchmarks/run_all.py                 # the full suite (~30-40 min on 2 idle cores)
    python benchmarks/run_all.py --quick         # a minute-or-so check that everything runs
    python benchmarks/run_all.py --only scale --max-orders 1e7   # the 10^7-order runs alone
    python benchmarks/run_all.py --only year     # the 365-day `large` run (~18 M orders)

Parts (``--only`` takes a comma list): ``startup``, ``policies``, ``reference``, ``mmc``,
``scale``, ``year``, ``sweep`` (``year`` only when asked). Each part prints progress as it goes;
the numbers are written to ``benchmarks/results/latest.json`` and, as the tables BENCHMARKS.md
shows, ``benchmarks/results/latest.md`` (``--out`` elsewhere).

How: every figure is taken in child processes started fresh (``python benchmarks/run_all.py
child ...``), so start-up, imports and peak memory are each process's own; peak RSS is the
child's ``ru_maxrss`` from ``os.wait4``. Ratios compare runs made in the same invocation,
alternating the two sides repeat by repeat, and take the median over repeats, so a loaded
machine slows both sides alike. Pin to one core with ``taskset -c 0`` for single-core figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOY = ROOT.parent / "shared" / "bench" / "toy_orders.py"
MODEL = ROOT / "tests" / "fixtures" / "predictive_small.npz"
ROUTINGS = ("nearest", "cheapest", "rules", "value_tiered", "predictive", "pilot")
MONITORINGS = ("none", "sla_rules", "health_score")
MMC = {"rate_per_h": 18.0, "servers": 2, "service_mean_h": 0.1}  # rho = 0.9


# -- child processes ---------------------------------------------------------------------------


def child(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run in a fresh process: one measurement, returned as a JSON-able dict."""
    started = time.perf_counter()
    if kind == "run":
        return _child_run(args, started)
    if kind == "policies":
        return _child_policies(args)
    if kind == "mmc":
        return _child_mmc(args)
    if kind == "ciw":
        return _child_ciw(args)
    raise SystemExit(f"unknown child {kind!r}")


def _per_day(scenario: str) -> float:
    from scenarios.build import build
    from sim.config.compose import load_config
    from sim.engine.demand import expected_orders

    world = build(load_config(f"scenario={scenario}")["scenario"])
    return expected_orders(world, 28 * 24.0) / 28


def _child_run(args: dict[str, Any], started: float) -> dict[str, Any]:
    """One whole run as ``ordertwin`` does it (validate, build, simulate, write its files)."""
    from sim.config.compose import load_config
    from sim.runner import run_and_write

    imported = time.perf_counter()
    cfg = load_config(*args["overrides"], "progress=false")
    out = Path(args["out"])
    t0 = time.perf_counter()
    result = run_and_write(cfg, out)
    t1 = time.perf_counter()
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    return {
        "import_s": imported - started,
        "run_s": t1 - t0,
        "orders": int(result.meta["orders_drawn"]),
        "orders_recorded": int(result.meta["orders_recorded"]),
        "events": int(result.meta["events"]),
        "files_mb": size / 1e6,
    }


def _child_policies(args: dict[str, Any]) -> dict[str, Any]:
    """Engine time of each routing / monitoring pair on the same seeds, alternating the pairs
    seed by seed (records discarded as they finish: the engine alone)."""
    from scenarios.build import build
    from sim.config.compose import load_config, load_policies
    from sim.engine.sink import TeeOrders
    from sim.runner import simulate

    out: dict[str, list[dict[str, float]]] = {}
    for seed in range(1, args["repeats"] + 1):
        for routing, monitoring in args["pairs"]:
            extra = [f"routing.model_path={MODEL}"] if routing == "predictive" else []
            cfg = load_config(
                f"routing={routing}",
                f"monitoring={monitoring}",
                f"seed={seed}",
                f"horizon_days={args['days']}",
                "warmup_days=1",
                "progress=false",
                *extra,
            )
            world = build(cfg["scenario"])
            policies = load_policies(cfg, world)
            t0 = time.perf_counter()
            result = simulate(cfg, world, *policies, sink=TeeOrders())
            elapsed = time.perf_counter() - t0
            n = int(result.meta["orders_drawn"])
            out.setdefault(f"{routing}/{monitoring}", []).append(
                {"s": elapsed, "orders": n, "events": int(result.meta["events"])}
            )
            print(
                f"    {routing}/{monitoring} seed {seed}: {n / elapsed:,.0f} orders/s", flush=True
            )
    return out


def _child_mmc(args: dict[str, Any]) -> dict[str, Any]:
    """ordertwin's `mmc` scenario (one warehouse, Poisson arrivals, exponential picks) on the
    engine, for about ``customers`` arrivals; mean queue wait after a 1-day warm-up."""
    import numpy as np

    from scenarios.build import build
    from sim.config.compose import load_config, load_policies
    from sim.runner import simulate

    days = args["customers"] / (MMC["rate_per_h"] * 24.0)
    cfg = load_config(
        "scenario=mmc",
        f"scenario.demand.base_rate_per_h={MMC['rate_per_h']}",
        f"scenario.warehouses.main.pickers={MMC['servers']}",
        f"scenario.warehouses.main.pick_time.mean_h={MMC['service_mean_h']}",
        f"horizon_days={days}",
        "warmup_days=1",
        "cooldown_days=0",
        "progress=false",
    )
    world = build(cfg["scenario"])
    policies = load_policies(cfg, world)
    t0 = time.perf_counter()
    result = simulate(cfg, world, *policies)
    elapsed = time.perf_counter() - t0
    o = result.orders
    wait = o["pick_wait_h"][(o["created_h"] >= 24.0) & ~np.isnan(o["pick_wait_h"])]
    return {"s": elapsed, "customers": len(o["created_h"]), "mean_wait_h": float(wait.mean())}


def _child_ciw(args: dict[str, Any]) -> dict[str, Any]:
    """The same M/M/c queue in Ciw, simulated for the same time; mean wait after 1 day."""
    import ciw

    days = args["customers"] / (MMC["rate_per_h"] * 24.0)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=MMC["rate_per_h"])],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / MMC["service_mean_h"])],
        number_of_servers=[MMC["servers"]],
    )
    ciw.seed(1)
    t0 = time.perf_counter()
    q = ciw.Simulation(network)
    q.simulate_until_max_time((days + 1) * 24.0)
    elapsed = time.perf_counter() - t0
    records = [r for r in q.get_all_records() if r.arrival_date >= 24.0]
    wait = statistics.fmean(r.waiting_time for r in records)
    return {"s": elapsed, "customers": len(q.get_all_records()), "mean_wait_h": wait}


# -- the parent: start children, measure, tabulate ---------------------------------------------


def spawn(cmd: Sequence[str], timeout_s: float | None = None) -> dict[str, Any]:
    """Run a command as a child process; its wall time, peak RSS and its last JSON line."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("    "):  # a child's own progress line
            print(line, end="", flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    data = json.loads(next((x for x in reversed(lines) if x.startswith("{")), "{}"))
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0, **data}


def me(kind: str, **args: Any) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "child", kind, json.dumps(args)]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def part_startup(o: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A plain run's process: ``ordertwin`` for 6 simulated hours, no order file."""
    walls, imports = [], []
    for r in range(o.repeats):
        got = spawn(
            me(
                "run",
                overrides=[
                    "horizon_days=0.25",
                    "warmup_days=0",
                    "cooldown_days=0",
                    "export.orders=none",
                ],
                out=str(tmp / f"startup{r}"),
            )
        )
        walls.append(got["wall_s"] - got["run_s"])
        imports.append(got["import_s"])
        print(f"  start-up {r + 1}/{o.repeats}: {walls[-1]:.2f} s", flush=True)
    cli = []
    for _ in range(o.repeats):
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "horizon_days=0.25",
                "warmup_days=0",
                "cooldown_days=0",
                "progress=false",
                "export.orders=none",
                f"hydra.run.dir={tmp / 'cli'}",
            ],
            check=True,
            capture_output=True,
            cwd=tmp,
        )
        cli.append(time.perf_counter() - t0)
    return {"startup_s": median(walls), "import_s": median(imports), "cli_6h_run_s": median(cli)}


def part_policies(o: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    pairs = [(r, "none") for r in ROUTINGS] + [("nearest", m) for m in MONITORINGS[1:]]
    pairs += [("rules", "sla_rules")]
    got = spawn(me("policies", pairs=pairs, days=o.policy_days, repeats=o.repeats))
    base = got["nearest/none"]
    rows = {}
    for key, runs in got.items():
        if not isinstance(runs, list):
            continue
        ratio = [a["s"] / b["s"] for a, b in zip(runs, base, strict=True)]
        rows[key] = {
            "orders_per_s": median([r["orders"] / r["s"] for r in runs]),
            "events_per_order": median([r["events"] / r["orders"] for r in runs]),
            "time_vs_nearest": median(ratio),
        }
    return {"days": o.policy_days, "repeats": o.repeats, "rows": rows}


def part_reference(o: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The full model (rules + sla_rules, baseline, files written) and the toy on the same
    number of orders, alternating whole processes."""
    per_day = _per_day("baseline")
    n = int(o.reference_orders)
    days = n / per_day
    model, toy = [], []
    for r in range(o.repeats):
        got = spawn(
            me(
                "run",
                overrides=[
                    "routing=rules",
                    "monitoring=sla_rules",
                    f"horizon_days={days:.4f}",
                    "warmup_days=1",
                    "cooldown_days=0",
                ],
                out=str(tmp / f"ref{r}"),
            )
        )
        model.append(got)
        print(
            f"  full model {r + 1}/{o.repeats}: {got['orders']:,} orders, "
            f"{got['run_s']:.1f} s in the run, {got['wall_s']:.1f} s process",
            flush=True,
        )
        if TOY.exists():
            t = spawn([sys.executable, str(TOY), str(got["orders"]), "numpy", "--df"])
            toy.append(t)
            print(
                f"  toy {r + 1}/{o.repeats}: {t['sim_s'] + t['df_s']:.1f} s, "
                f"{t['wall_s']:.1f} s process",
                flush=True,
            )
        shutil.rmtree(tmp / f"ref{r}", ignore_errors=True)
    out: dict[str, Any] = {
        "orders": median([m["orders"] for m in model]),
        "model_run_s": median([m["run_s"] for m in model]),
        "model_process_s": median([m["wall_s"] for m in model]),
        "model_peak_rss_mb": median([m["peak_rss_mb"] for m in model]),
        "model_files_mb": median([m["files_mb"] for m in model]),
    }
    if toy:
        out.update(
            toy_s=median([t["sim_s"] + t["df_s"] for t in toy]),
            toy_process_s=median([t["wall_s"] for t in toy]),
            ratio_run=median(
                [m["run_s"] / (t["sim_s"] + t["df_s"]) for m, t in zip(model, toy, strict=True)]
            ),
            ratio_process=median(
                [m["wall_s"] / t["wall_s"] for m, t in zip(model, toy, strict=True)]
            ),
        )
    return out


def part_mmc(o: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import math

    lam, c, s = MMC["rate_per_h"], MMC["servers"], MMC["service_mean_h"]
    a, rho = lam * s, lam * s / c
    p0_terms = sum(a**k / math.factorial(k) for k in range(c))
    erlang_c = (a**c / math.factorial(c) / (1 - rho)) / (
        p0_terms + a**c / math.factorial(c) / (1 - rho)
    )
    theory = erlang_c / (c / s - lam)
    ours, theirs = [], []
    for r in range(o.repeats):
        ours.append(spawn(me("mmc", customers=o.mmc_customers)))
        theirs.append(spawn(me("ciw", customers=o.mmc_customers)))
        print(
            f"  mmc {r + 1}/{o.repeats}: ordertwin {ours[-1]['s']:.1f} s, "
            f"Ciw {theirs[-1]['s']:.1f} s",
            flush=True,
        )
    return {
        "customers": median([x["customers"] for x in ours]),
        "ordertwin_s": median([x["s"] for x in ours]),
        "ciw_s": median([x["s"] for x in theirs]),
        "ratio": median([x["s"] / y["s"] for x, y in zip(ours, theirs, strict=True)]),
        "ordertwin_wait_h": median([x["mean_wait_h"] for x in ours]),
        "ciw_wait_h": median([x["mean_wait_h"] for x in theirs]),
        "erlang_c_wait_h": theory,
    }


def part_scale(o: argparse.Namespace, tmp: Path, sizes: Sequence[float]) -> dict[str, Any]:
    """`large`, nearest / none, files written: time and peak RSS by number of orders."""
    per_day = _per_day("large")
    rows = []
    for n in sizes:
        days = max(n / per_day, 0.05)
        got = spawn(
            me(
                "run",
                overrides=["scenario=large", f"horizon_days={days:.4f}", "warmup_days=0"],
                out=str(tmp / "scale"),
            )
        )
        rows.append({"target": n, **got})
        print(
            f"  large, {got['orders']:,} orders: {got['wall_s']:.1f} s, "
            f"peak {got['peak_rss_mb']:.0f} MB",
            flush=True,
        )
        shutil.rmtree(tmp / "scale", ignore_errors=True)
    return {"rows": rows}


def part_sweep(o: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Four jobs of ``job_days`` baseline days: one after another (basic launcher) and two at a
    time (joblib, and Ray's local launcher if installed); efficiency = serial / (2 x parallel)."""

    def sweep(launcher: str) -> float:
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "-m",
                "seed=1,2,3,4",
                f"horizon_days={o.job_days}",
                "warmup_days=1",
                "progress=false",
                "export.orders=none",
                f"hydra/launcher={launcher}",
                f"hydra.sweep.dir={tmp / launcher}",
            ]
            + (["hydra.launcher.n_jobs=2"] if launcher == "joblib" else []),
            check=True,
            capture_output=True,
            cwd=tmp,
        )
        return time.perf_counter() - t0

    launchers = ["basic", "joblib"]
    try:
        import hydra_plugins.hydra_ray_launcher  # noqa: F401

        launchers.append("ray_local")
    except ImportError:
        pass
    times: dict[str, list[float]] = {name: [] for name in launchers}
    for r in range(max(1, o.repeats - 1)):
        for name in launchers:
            times[name].append(sweep(name))
            print(f"  sweep {name} {r + 1}: {times[name][-1]:.1f} s", flush=True)
    serial = median(times["basic"])
    return {
        "job_days": o.job_days,
        "seconds": {k: median(v) for k, v in times.items()},
        "efficiency": {k: serial / (2 * median(v)) for k, v in times.items() if k != "basic"},
    }


def machine() -> dict[str, Any]:
    import numpy
    import simpy

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "numpy": numpy.__version__,
        "simpy": simpy.__version__,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def tables(results: dict[str, Any]) -> str:
    """The markdown BENCHMARKS.md shows."""
    out = [f"Machine: {results['machine']}", ""]
    if "startup" in results:
        s = results["startup"]
        out += [
            f"**Start-up** (plain run's process less its run): {s['startup_s']:.2f} s "
            f"(imports {s['import_s']:.2f} s); a whole 6-hour `ordertwin` run "
            f"{s['cli_6h_run_s']:.2f} s.",
            "",
        ]
    if "policies" in results:
        p = results["policies"]
        out += [
            f"**Policies** (baseline, {p['days']} days + cool-down, median of "
            f"{p['repeats']} seeds, engine only):",
            "",
            "| routing/monitoring | orders/s | events/order | time vs nearest/none |",
            "|---|---|---|---|",
        ]
        for key, row in p["rows"].items():
            out.append(
                f"| {key} | {row['orders_per_s']:,.0f} | {row['events_per_order']:.2f} "
                f"| {row['time_vs_nearest']:.2f}x |"
            )
        out.append("")
    if "reference" in results:
        r = results["reference"]
        line = (
            f"**Full model vs reference** (rules + sla_rules, baseline, files written; "
            f"{r['orders']:,.0f} orders): run {r['model_run_s']:.1f} s, process "
            f"{r['model_process_s']:.1f} s, peak {r['model_peak_rss_mb']:.0f} MB, files "
            f"{r['model_files_mb']:.0f} MB"
        )
        if "toy_s" in r:
            line += (
                f"; toy {r['toy_s']:.1f} s (process {r['toy_process_s']:.1f} s): "
                f"**{r['ratio_run']:.2f}x** (processes {r['ratio_process']:.2f}x)"
            )
        out += [line + ".", ""]
    if "mmc" in results:
        m = results["mmc"]
        out += [
            f"**M/M/2 vs Ciw** ({m['customers']:,.0f} customers, rho 0.9): ordertwin "
            f"{m['ordertwin_s']:.1f} s, Ciw {m['ciw_s']:.1f} s: **{m['ratio']:.2f}x**; mean "
            f"wait {m['ordertwin_wait_h']:.3f} h / {m['ciw_wait_h']:.3f} h, Erlang C "
            f"{m['erlang_c_wait_h']:.3f} h.",
            "",
        ]
    for part in ("scale", "year"):
        if part in results:
            out += [
                f"**{'Scale' if part == 'scale' else 'A year'}** (`large`, nearest/none, "
                "files written, whole process):",
                "",
                "| orders | process s | orders/s | peak RSS MB | files MB |",
                "|---|---|---|---|---|",
            ]
            for row in results[part]["rows"]:
                out.append(
                    f"| {row['orders']:,} | {row['wall_s']:.1f} | "
                    f"{row['orders'] / row['wall_s']:,.0f} | {row['peak_rss_mb']:.0f} | "
                    f"{row['files_mb']:.0f} |"
                )
            out.append("")
    if "sweep" in results:
        w = results["sweep"]
        out += [
            f"**Sweep** (4 jobs of {w['job_days']} baseline days): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in w["seconds"].items())
            + "; efficiency on 2 cores "
            + ", ".join(f"{k} {v:.0%}" for k, v in w["efficiency"].items())
            + ".",
            "",
        ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["child"]:
        print(json.dumps(child(argv[1], json.loads(argv[2]))), flush=True)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--only", default="startup,policies,reference,mmc,scale,sweep")
    parser.add_argument(
        "--max-orders",
        type=float,
        default=None,
        help="largest scale run (default 1e6; 1e7 takes ~10 min)",
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--job-days",
        type=float,
        default=None,
        help="baseline days per sweep job (default 128: ~12 s a job on an idle core, the "
        "target's 'jobs of 10 s or more')",
    )
    o = parser.parse_args(argv)
    o.repeats = o.repeats or (1 if o.quick else 3)
    o.policy_days = 3 if o.quick else 14
    o.reference_orders = 2e4 if o.quick else 1e6
    o.mmc_customers = 2e4 if o.quick else 2e5
    o.job_days = o.job_days or (2 if o.quick else 128)
    max_orders = o.max_orders or (1e4 if o.quick else 1e6)
    sizes = [n for n in (1e4, 1e5, 1e6, 1e7) if n <= max_orders]
    parts = o.only.split(",")
    results: dict[str, Any] = {"machine": machine(), "quick": o.quick}
    steps: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
        "startup": part_startup,
        "policies": part_policies,
        "reference": part_reference,
        "mmc": part_mmc,
        "scale": lambda o_, t: part_scale(o_, t, sizes),
        "year": lambda o_, t: part_scale(o_, t, [365 * _per_day("large")]),
        "sweep": part_sweep,
    }
    unknown = [p for p in parts if p not in steps]
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(unknown)}; known: {', '.join(steps)}")
    with tempfile.TemporaryDirectory(prefix="ordertwin-bench-") as tmp:
        for part in parts:
            print(f"[{time.strftime('%H:%M:%S')}] {part} ...", flush=True)
            t0 = time.perf_counter()
            results[part] = steps[part](o, Path(tmp))
            print(
                f"[{time.strftime('%H:%M:%S')}] {part} done in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            save(results, o.out)  # after each part: an interrupted suite keeps what it measured
    print(tables(results))


def save(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "latest.md").write_text(tables(results) + "\n")


if __name__ == "__main__":
    main()
