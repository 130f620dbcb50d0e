"""The report in a real browser: headless Chromium from the system packages (apt install chromium
chromium-driver), driven by Selenium, loading the report from disk (file://).

Checked: the page renders without console errors and requests nothing but its own files; the
exposure slider changes the displayed pixels, which equal the Python reference decoder's; the
views and the image picker work; tables sort; a page without images still loads. Screenshots
of the overview go to $ITMN_TEST_ARTIFACTS (else pytest's temporary folder); their paths are
printed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.report import build_report, encoding
from bench.report.build import REFERENCE
from bench.report.synthetic import Fixture, write_fixture

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ITMN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = os.environ.get("ITMN_CHROMEDRIVER") or shutil.which("chromedriver")


def _skip_reason() -> str | None:
    if not (CHROMIUM and Path(CHROMIUM).is_file() and CHROMEDRIVER and Path(CHROMEDRIVER).is_file()):
        return (f"no Chromium / chromedriver (found {CHROMIUM!r}, {CHROMEDRIVER!r}): apt install chromium chromium-driver, "
                "or set ITMN_CHROMIUM and ITMN_CHROMEDRIVER")  # fmt: skip
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="itmn-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000"):  # fmt: skip
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit chromedriver: Selenium Manager never downloads a driver or a browser
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fixture, Path]:
    fx = write_fixture(tmp_path_factory.mktemp("fx"), n_images=3, n_methods=3, size=128, seed=2)
    out = tmp_path_factory.mktemp("site") / "report"
    build_report(fx.results, out, map_cache=tmp_path_factory.mktemp("maps"))
    return fx, out


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("ITMN_TEST_ARTIFACTS")
    d = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _open(driver: Any, folder: Path, status: str = "ready") -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get((folder / "index.html").resolve().as_uri())
    _wait(driver, f"return window.itmnReport && itmnReport.state.status === {json.dumps(status)}")


def _wait(driver: Any, script: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script(script):
            return
        time.sleep(0.1)
    state = driver.execute_script("return window.itmnReport ? itmnReport.state.status : 'no itmnReport'")
    raise AssertionError(
        f"timed out waiting for {script!r} (status {state}); console: {driver.get_log('browser')}"
    )


def _severe(driver: Any) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _requests(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _pixels(driver: Any, key: str) -> np.ndarray:
    b64 = driver.execute_script(
        """const c = document.querySelector('#tiles figure[data-key="' + arguments[0] + '"] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = ''; for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
        return [btoa(s), c.width, c.height];""",
        key,
    )
    data, w, h = b64
    return np.frombuffer(base64.b64decode(data), dtype=np.uint8).reshape(h, w, 4)[..., :3]


def _screenshot(driver: Any, path: Path, full: bool = False) -> Path:
    if full:
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"}
        )
        path.write_bytes(base64.b64decode(shot["data"]))
    else:
        driver.save_screenshot(str(path))
    return path


def _expected_display(site_dir: Path, image_index: int, key: str, ev: float) -> np.ndarray:
    """What report.js should draw: the Python decoder of the embedded data, rendered at ``ev``."""
    text = (site_dir / "data" / f"img-{image_index:03d}.js").read_text()
    payload = json.loads(text[text.index("{") : text.rindex("}") + 1])
    t = payload["tiles"][key]
    enc = encoding.EncodedHDR(base64.b64decode(t["base"]), base64.b64decode(t["exp"]), t["w"], t["h"], t["q"])
    index = (site_dir / "data" / "report.js").read_text()
    anchor = json.loads(index[index.index("{") : index.rindex("}") + 1])["images"][image_index]["anchor"]
    return encoding.srgb_display(encoding.decode_hdr(enc), anchor, ev)


def test_page_renders_offline_without_console_errors(
    driver: Any, site: tuple[Fixture, Path], artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = site
    _open(driver, out)
    assert _severe(driver) == []
    urls = _requests(driver)
    assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), urls
    assert any(u.endswith("data/img-000.js") for u in urls)  # the first image's data was loaded
    n_tiles = driver.execute_script("return document.querySelectorAll('#tiles figure canvas').length")
    assert n_tiles == 4  # reference + 3 methods
    top = _screenshot(driver, artifacts / "report-overview.png")
    driver.execute_script("document.getElementById('images').scrollIntoView()")
    images = _screenshot(driver, artifacts / "report-images.png")
    full = _screenshot(driver, artifacts / "report-full-page.png", full=True)
    with capsys.disabled():
        print(f"\nreport screenshots: {top} {images} {full}")
    assert top.stat().st_size > 10_000


def test_exposure_slider_changes_the_pixels_as_the_decoder_says(
    driver: Any, site: tuple[Fixture, Path]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fx, out = site
    _open(driver, out)
    for key in (REFERENCE, fx.methods[0]):
        got = _pixels(driver, key).astype(int)
        want = _expected_display(out, 0, key, 0.0).astype(int)
        # Chromium and Pillow both decode JPEG with libjpeg-turbo; allow a code of difference
        assert np.abs(got - want).max() <= 1, np.abs(got - want).max()
    before = _pixels(driver, fx.methods[0]).astype(int)
    slider = driver.find_element(By.ID, "ev")
    renders = driver.execute_script("return itmnReport.state.renders")
    for _ in range(10):  # ten steps of 0.1 EV with the keyboard
        slider.send_keys(Keys.ARROW_RIGHT)
    _wait(driver, f"return itmnReport.state.renders >= {renders + 10}")
    assert driver.execute_script("return itmnReport.state.ev") == pytest.approx(1.0)
    assert "+1.0 EV" in driver.find_element(By.ID, "ev-out").text
    after = _pixels(driver, fx.methods[0]).astype(int)
    assert (after != before).mean() > 0.5 and after.mean() > before.mean() + 10
    assert np.abs(after - _expected_display(out, 0, fx.methods[0], 1.0).astype(int)).max() <= 1
    assert _severe(driver) == []


def test_false_colour_and_map_views_and_image_picker(
    driver: Any, site: tuple[Fixture, Path], artifacts: Path
) -> None:
    from selenium.webdriver.common.by import By

    fx, out = site
    _open(driver, out)
    m = fx.methods[1]
    exposure = _pixels(driver, m).astype(int)
    assert not driver.find_element(By.ID, "legend-box").is_displayed()  # no colour bar for exposures
    driver.find_element(By.ID, "mode-falsecolour").click()
    false = _pixels(driver, m).astype(int)
    assert (false != exposure).mean() > 0.5
    assert driver.find_element(By.ID, "legend-box").is_displayed()
    driver.find_element(By.ID, "mode-pmap").click()
    pmap = _pixels(driver, m).astype(int)
    assert (pmap != false).mean() > 0.5
    driver.execute_script("document.getElementById('images').scrollIntoView()")
    _screenshot(driver, artifacts / "report-pmap-view.png")
    # another image: its data file is loaded on demand
    driver.find_element(By.CSS_SELECTOR, '#picker button[data-i="2"]').click()
    _wait(
        driver,
        "return itmnReport.state.image === 2 && itmnReport.state.status === 'ready' && !!itmnReport.state.decoded[2]",
    )
    _wait(driver, "return document.querySelectorAll('#tiles figure canvas').length === 4")
    caption = driver.find_element(By.CSS_SELECTOR, "#image-scores caption").text
    assert caption.startswith(f"Scores of {fx.images[2]}")
    assert _severe(driver) == []


def test_tables_sort_on_header_click(driver: Any, site: tuple[Fixture, Path]) -> None:
    from selenium.webdriver.common.by import By

    _, out = site
    _open(driver, out)
    table = driver.find_element(By.ID, "table-0")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    col = headers.index("hdrvdp2_mean [95% CI]")

    def column() -> list[float]:
        return [
            float(td.get_attribute("data-v"))
            for td in table.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({col + 1})")
        ]

    original = column()
    button = table.find_elements(By.CSS_SELECTOR, "thead th button")[col]
    button.click()
    assert column() == sorted(original)
    assert table.find_elements(By.CSS_SELECTOR, "thead th")[col].get_attribute("aria-sort") == "ascending"
    button.click()
    assert column() == sorted(original, reverse=True)
    # a text column sorts as text
    table.find_elements(By.CSS_SELECTOR, "thead th button")[headers.index("label")].click()
    labels = [
        td.text
        for td in table.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({headers.index('label') + 1})")
    ]
    assert labels == sorted(labels)
    assert _severe(driver) == []


def test_report_without_images_loads_and_says_why(
    driver: Any, site: tuple[Fixture, Path], tmp_path: Path, artifacts: Path
) -> None:
    from selenium.webdriver.common.by import By

    fx, _ = site
    out = tmp_path / "report"
    build_report(fx.results, out, work=tmp_path / "nowhere", dataset=str(tmp_path / "nodata"))
    _open(driver, out, status="no-images")
    assert _severe(driver) == []
    notes = driver.find_element(By.CSS_SELECTOR, ".notes").text
    assert "No predictions found" in notes and "No prepared dataset found" in notes
    assert "No pixels for img00" in driver.find_element(By.ID, "image-info").text
    assert driver.execute_script("return document.querySelectorAll('#curves canvas').length") == 1
    _screenshot(driver, artifacts / "report-no-images.png", full=True)
