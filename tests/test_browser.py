"""A person's view: headless Chromium types a question, sees the answer stream in, opens a citation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webserver import running_app

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_question_answer_follow_up_and_citation_in_the_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    def ask(question: str, expected: str) -> None:
        box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#frage textarea")))
        box.send_keys(question)
        box.send_keys(Keys.ENTER)
        wait.until(ec.text_to_be_present_in_element((By.ID, "chat"), expected))

    def marked() -> str:
        return browser.find_element(By.CSS_SELECTOR, "#quellen #quelle-1 mark").text

    with running_app(tmp_path / "index") as url:
        browser.get(url)
        # the sources panel re-renders while we read it: a stale element is read again, not a failure
        wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
        ask("Wie viel Hilfe wurde 2024 zugesagt?", "50 Milliarden")
        wait.until(lambda _: "50 Milliarden" in marked())
        # A follow-up in the same conversation: the chat history goes along with it.
        ask("Und für 2025?", "20 Milliarden")
        wait.until(lambda _: "20 Milliarden" in marked())
        assert "Verstanden als" in browser.find_element(By.ID, "chat").text

        # The first answer's [1]: jumps to the sources panel, which shows that answer's sources again.
        link = browser.find_elements(By.CSS_SELECTOR, '#chat a[href="#quelle-1"]')[0]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
        link.click()
        wait.until(lambda _: "50 Milliarden" in marked())
        assert len(browser.window_handles) == 1 and browser.current_url.endswith("#quelle-1")
        mark = browser.find_element(By.CSS_SELECTOR, "#quelle-1 mark")
        assert mark.is_displayed() and "50 Milliarden" in mark.text
        panel = browser.find_element(By.ID, "quellen").text
        assert panel.startswith("Quellen") and "[1]" in panel and ".txt" in panel  # number, title, doc id
        ARTIFACTS.mkdir(exist_ok=True)
        browser.execute_script("window.scrollTo(0, 0);")
        browser.save_screenshot(str(ARTIFACTS / "answer.png"))
