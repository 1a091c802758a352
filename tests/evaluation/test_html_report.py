"""The HTML report: self-contained, with its charts, rendered in headless Chromium."""

from __future__ import annotations

import json
import shutil

import pytest

from llm4rec.evaluation.html_report import write_report
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.report import details

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def report(ml100k_loo, tmp_path_factory):
    results = [tune_and_test("pop", ml100k_loo), tune_and_test("ease", ml100k_loo, grid=[{"l2": 150.0}])]
    folder = tmp_path_factory.mktemp("report")
    (folder / "results.json").write_text(json.dumps({r.name: r.contract() for r in results}))
    (folder / "results.details.json").write_text(json.dumps(details(results)))
    everything = ml100k_loo.train_valid().concat(ml100k_loo.test)
    return write_report(folder / "results.json", results[1].model, everything, ml100k_loo.catalog,
                        folder / "report.html")


def test_report_is_self_contained_with_every_section(report):
    page = report.read_text()
    for heading in ("Test metrics", "By item popularity and history length", "Interests", "Item map", "Users"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("data:image/png;base64,") == 5  # metrics, 2 slices, heatmap, map
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count("class='card'") == 6 and "Because you liked" in page and "Mostly" in page


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver")
def test_report_renders_in_chromium(report):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from tests.serving.test_page import ARTIFACTS

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1600"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(report.as_uri())
        charts = driver.find_elements(By.CSS_SELECTOR, "img.chart")
        assert len(charts) == 5
        assert all(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 300", chart)
                   for chart in charts)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "report.png"))
    finally:
        driver.quit()
