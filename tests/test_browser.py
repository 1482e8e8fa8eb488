"""A person's view: headless Chromium types a question, sees the answer, opens a citation."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webserver import running_app

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (make test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    profile = tempfile.mkdtemp()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_question_answer_and_citation_in_the_browser(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with running_app(tmp_path / "index") as url:
        browser.get(url)
        wait = WebDriverWait(browser, 90)
        box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#frage textarea")))
        box.send_keys("Wie viel Hilfe wurde 2024 zugesagt?")
        box.send_keys(Keys.ENTER)
        wait.until(ec.text_to_be_present_in_element((By.ID, "chat"), "50 Milliarden"))
        link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, '#chat a[href="#quelle-1"]')))
        link.click()
        marked = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#quelle-1 mark")))
        assert "50 Milliarden" in marked.text
        assert "2024" in browser.find_element(By.ID, "quellen").text
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "answer.png"))
