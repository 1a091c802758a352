"""The page for people, driven in headless Chromium; a screenshot is kept as an artefact."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from llm4rec.serving.app import create_app

READ_KEY = "reader-key"  # the read-only key of tests/serving/conftest.py

ARTIFACTS = Path(os.environ.get("LLM4REC_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (make test installs them with apt-get when it can)")


@pytest.fixture
def base_url(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_page_recommends_for_a_user_and_for_liked_titles(base_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(base_url + "/")
    wait.until(ready.text_to_be_present_in_element((By.ID, "model"), "Serving ease"))
    assert browser.find_element(By.ID, "key-box").is_displayed()  # the service needs a read key
    browser.find_element(By.ID, "api-key").send_keys(READ_KEY)

    browser.find_element(By.ID, "user").send_keys("1")
    browser.find_element(By.ID, "by-user").click()
    wait.until(ready.text_to_be_present_in_element((By.ID, "results-title"), "user 1"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results tr")) == 11  # header + 10
    assert browser.find_element(By.CSS_SELECTOR, "#results .why").text.startswith("Because you liked")
    wait.until(ready.text_to_be_present_in_element((By.ID, "profile"), "Mostly"))

    browser.find_element(By.ID, "title-search").send_keys("Star Wars")
    wait.until(ready.text_to_be_present_in_element((By.ID, "suggestions"), "Star Wars"))
    browser.find_element(By.CSS_SELECTOR, "#suggestions .suggestion").click()
    assert "Star Wars" in browser.find_element(By.ID, "liked").text
    browser.find_element(By.ID, "by-items").click()
    wait.until(ready.text_to_be_present_in_element((By.ID, "results-title"), "for you"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tr")
    first_title = rows[1].find_elements(By.TAG_NAME, "td")[1].text.splitlines()[0]
    assert len(rows) == 11 and first_title != "Star Wars"
    assert "Star Wars" in rows[1].find_element(By.CSS_SELECTOR, ".why").text  # the one liked title, cited
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "serving-page.png"))

    browser.find_element(By.ID, "user").clear()
    browser.find_element(By.ID, "user").send_keys("nobody-here")
    browser.find_element(By.ID, "by-user").click()
    wait.until(ready.text_to_be_present_in_element((By.ID, "error"), "Unknown user"))
    assert browser.find_element(By.ID, "results-title").text == ""  # no stale "Top 10 for user 1" above it
