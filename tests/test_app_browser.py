"""The workbench in a real browser: headless Chromium from the system packages, via Selenium.

A planner's path: start from ``storm``, add a storm on the south-east and 20% more pickers at
the warehouse there (south: 9 -> 11), save it; compare ``nearest`` and ``rules`` on 2 seeds x
7 days; see the scorecard; download ``report.html``. Skips only when no browser is installed,
unless ``ORDERTWIN_REQUIRE_BROWSER=1`` (``.ci/run`` sets it), when a missing browser fails.
``ORDERTWIN_SCREENSHOTS=docs/screenshots`` also saves a screenshot of each page there.
``pytest -s`` prints each step's time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app_server import served_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def _missing() -> str:
    try:
        import dash  # noqa: F401
        import selenium  # noqa: F401
    except ImportError as err:
        return f"{err.name} is not installed (pip install '.[app]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() or shutil.which(Path(path).name)):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return ""


MISSING = _missing()
if MISSING and os.environ.get("ORDERTWIN_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"ORDERTWIN_REQUIRE_BROWSER=1 but {MISSING}")
pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(dir=downloads.parent)}")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or CHROMEDRIVER), options=options
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


class Steps:
    """Times each step of the walk; prints them (``pytest -s``)."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []

    def __call__(self, name: str, action: Callable[[], Any]) -> Any:
        start = time.monotonic()
        result = action()
        self.times.append((name, time.monotonic() - start))
        return result

    def report(self) -> str:
        total = sum(t for _, t in self.times)
        lines = [f"  {t:6.1f} s  {name}" for name, t in self.times]
        return "\n".join(["browser test steps:", *lines, f"  {total:6.1f} s  total"])


def test_planner_builds_a_storm_what_if_compares_policies_and_downloads_the_report(
    browser: Any, tmp_path: Path
) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    shots = os.environ.get("ORDERTWIN_SCREENSHOTS")
    steps = Steps()

    def wait(seconds: float = 30) -> WebDriverWait:
        stale = (StaleElementReferenceException, NoSuchElementException)  # Dash re-renders
        return WebDriverWait(browser, seconds, poll_frequency=0.2, ignored_exceptions=stale)

    def by_id(element_id: str) -> Any:
        return wait().until(ec.presence_of_element_located((By.ID, element_id)))

    def lever(key: str) -> Any:
        css = f'[id*=\'"key":"{key}"\']'
        return wait().until(ec.element_to_be_clickable((By.CSS_SELECTOR, css)))

    def choose(control: Any, label: str) -> None:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", control)
        control.click()
        xpath = f"//*[@role='option'][normalize-space()='{label}']"
        wait().until(ec.element_to_be_clickable((By.XPATH, xpath))).click()

    def type_into(element: Any, text: str) -> None:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        element.send_keys("\ue009a")  # Ctrl+A: replace what is there
        element.send_keys(text)

    def tab(label: str) -> None:
        browser.find_element(
            By.XPATH, f"//*[contains(@class,'tab')][normalize-space()='{label}']"
        ).click()

    def shot(name: str) -> None:
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            height = browser.execute_script("return document.body.scrollHeight")
            browser.set_window_size(1400, min(max(int(height) + 100, 1000), 4000))
            browser.execute_script("window.scrollTo(0, 0)")
            browser.save_screenshot(str(Path(shots) / f"{name}.png"))
            browser.set_window_size(1400, 1000)

    with served_app(tmp_path) as app:
        snapshot = subprocess.Popen(  # a state snapshot for page 4, made while the rest goes on
            [
                sys.executable,
                "-m",
                "sim",
                "scenario=storm",
                "horizon_days=3",
                "warmup_days=1",
                "export.orders=none",
                "export.snapshot_at_h=40",
                "progress=false",
                "hydra.run.dir=results/runs/storm_snapshot",
            ],
            cwd=app.work,
            env={**os.environ, "ORDERTWIN_HOME": str(app.home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        steps(
            "open the app", lambda: (browser.get(app.url), lever("scenario.demand.base_rate_per_h"))
        )

        def build() -> None:
            choose(by_id("base-scenario"), "storm")
            wait().until(
                lambda _: (
                    "Forecast major storm"
                    in (lever("scenario.description").get_attribute("value") or "")
                )
            )
            type_into(by_id("save-name"), "storm_plus_pickers")
            choose(lever("scenario.weather.storms.new.region"), "southeast")
            type_into(lever("scenario.weather.storms.new.start"), "2026-01-08")
            south = lever("scenario.warehouses.south.pickers")
            assert south.get_attribute("value") == "9"
            type_into(south, "11")  # 9 x 1.2 = 10.8: 20% more, in whole pickers
            type_into(lever("scenario.inventory.sync_interval_h"), "-1")
            by_id("save-scenario").click()
            error = '[id*=\'"key":"scenario.inventory.sync_interval_h"\'][id*="lever-error"]'
            wait().until(
                lambda d: "sync_interval_h: expected" in d.find_element(By.CSS_SELECTOR, error).text
            )  # the CLI's line, beside the field
            type_into(lever("scenario.inventory.sync_interval_h"), "0.25")
            by_id("save-scenario").click()
            wait().until(ec.text_to_be_present_in_element((By.ID, "save-status"), "Saved"))

        steps("build storm + 20% more pickers, one bad value first", build)
        saved = app.home / "conf" / "scenario" / "storm_plus_pickers.yaml"
        text = saved.read_text()
        assert (
            "pickers: 11" in text and "2026-01-08" in text and "defaults: [storm, _self_]" in text
        )
        shot("1-scenario")

        def run() -> None:
            tab("2. Run a comparison")
            assert "storm_plus_pickers" in by_id("run-scenarios").text
            by_id("run-sweep").click()
            status = by_id("run-status")
            ended = ("finished", "failed", "Not started")
            wait(600).until(lambda _: any(word in status.text for word in ended))
            assert "finished" in status.text, status.text

        steps("run nearest vs rules, 2 seeds x 7 days", run)
        shot("2-run")

        def scorecard() -> None:
            tab("3. Results")
            table = wait(60).until(ec.presence_of_element_located((By.ID, "scorecard-table")))
            assert "rules" in table.text and "storm_plus_pickers" in table.text

        steps("see the scorecard", scorecard)
        shot("3-results")

        def download() -> Path:
            link = by_id("download-report-html")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
            link.click()
            target = browser.downloads / "report.html"
            wait(60).until(lambda _: target.is_file() and target.stat().st_size > 0)
            return target

        report = steps("download report.html", download)
        sweep = next((app.work / "results" / "sweeps").glob("*/*/report.html"))
        assert report.read_bytes() == sweep.read_bytes()
        assert snapshot.wait(timeout=300) == 0, snapshot.stderr.read() if snapshot.stderr else ""

        def nowcast() -> None:
            tab("4. Now-cast")
            choose(by_id("nowcast-snapshot"), "runs/storm_snapshot/snapshot")
            type_into(by_id("nowcast-days"), "1")
            type_into(by_id("nowcast-replications"), "5")
            by_id("run-nowcast").click()
            status = by_id("nowcast-status")
            wait(600).until(lambda _: "finished" in status.text or "fail" in status.text)
            assert "finished" in status.text, status.text
            label = by_id("risk-page-label")
            wait(60).until(lambda _: label.text.startswith("page 1 of"))
            first = by_id("risk-rows").text
            by_id("risk-next").click()
            wait(60).until(lambda _: label.text.startswith("page 2 of"))
            assert by_id("risk-rows").text != first

        steps("now-cast a snapshot (1 day, 5 replications), page its risk list", nowcast)
        shot("4-nowcast")
        written = {p.relative_to(app.work).parts[0] for p in app.work.iterdir()}
        assert written == {"results"}  # and the scenario in the user config folder only
    print("\n" + steps.report())
