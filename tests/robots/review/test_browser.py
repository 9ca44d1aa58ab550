"""The workbench in a real headless Chromium: log in, filter the queue, take a case, decide
it (a referral above the four-eyes amount), log out, approve it as a second person; each
page checked with axe-core (no serious or critical WCAG 2.1 AA violation); screenshots of
the queue and the case page (as a caseworker sees it, CPR masked) kept in logs/browser/."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from robots.core.ledger import cases
from tests.robots.review.browser import axe_violations, chromium, screenshot, served
from tests.robots.review.workbench import MEMBERS, PASSWORD, SECOND, Workbench

pytestmark = pytest.mark.slow


def _click(driver: Any, by: str, what: str) -> None:
    """Click, and wait until the page it leads to has replaced this one and is loaded.
    A click that lands while the last page is still being swapped in is tried again
    (Chromium: "Node with given id does not belong to the document")."""
    for attempt in range(3):
        _loaded(driver)
        try:
            old = driver.find_element(By.TAG_NAME, "html")
            driver.find_element(by, what).click()
            break
        except (StaleElementReferenceException, WebDriverException):
            if attempt == 2:
                raise
    WebDriverWait(driver, 20).until(_replaced(old))
    _loaded(driver)


def _replaced(old: Any) -> Any:
    """Selenium's staleness_of, but also taking Chromium's other word for a node of a page
    that has gone ("does not belong to the document"), which staleness_of let through as
    an error when the click's page replaced the old one between two polls."""

    def check(driver: Any) -> bool:
        try:
            return bool(staleness_of(old)(driver))
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise

    return check


def _loaded(driver: Any) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _log_in(driver: Any, base: str, name: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    _click(driver, By.CSS_SELECTOR, "form.stacked button[type=submit]")


def _log_out(driver: Any) -> None:
    _click(driver, By.CSS_SELECTOR, "form.logout button")


def _no_serious_violation(driver: Any, page: str) -> None:
    found = axe_violations(driver)
    assert not found, f"{page}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']}" for v in found
    )


def test_a_case_is_taken_decided_and_approved_in_the_browser(workbench: Workbench) -> None:
    with served(workbench.app) as base, chromium() as driver:
        driver.get(f"{base}/queue")
        assert "/login" in driver.current_url  # anonymous: sent to log in
        _no_serious_violation(driver, "log-in")
        _log_in(driver, base, MEMBERS["control_group"])
        assert driver.current_url.endswith("/queue"), driver.page_source[:500]

        Select(driver.find_element(By.ID, "rule")).select_by_value("BIKE-OVER-CEILING")
        _click(driver, By.CSS_SELECTOR, "form.filters button")
        totals = driver.find_element(By.ID, "totals").text
        assert totals.startswith("1 cases") and "1.500,00 kr." in totals
        _no_serious_violation(driver, "queue")
        screenshot(driver, "queue")

        _click(driver, By.PARTIAL_LINK_TEXT, "Case ")
        _no_serious_violation(driver, "case (open)")
        _click(driver, By.XPATH, "//button[text()='Take this case']")
        assert "You hold case" in driver.page_source
        driver.find_element(By.ID, "decision-refer").click()
        Select(driver.find_element(By.ID, "refer_to")).select_by_value("police")
        driver.find_element(By.ID, "comment").send_keys("the receipt is forged")
        _no_serious_violation(driver, "case (decision form)")
        _click(driver, By.XPATH, "//button[text()='Record the decision']")
        assert "a second member of the control group must approve it" in driver.page_source
        case_url = driver.current_url

        driver.get(f"{base}/approvals")
        _click(driver, By.XPATH, "//button[text()='Approve']")
        assert "nobody approves their own case" in driver.page_source
        _log_out(driver)

        _log_in(driver, base, SECOND)
        driver.get(f"{base}/approvals")
        _no_serious_violation(driver, "approvals")
        _click(driver, By.XPATH, "//button[text()='Approve']")
        assert "approved" in driver.page_source
        driver.get(case_url)
        assert "Status: decided" in driver.find_element(By.CSS_SELECTOR, "p.status").text

        for page in ("/effect", "/cases/new"):
            driver.get(f"{base}{page}")
            _no_serious_violation(driver, page)
        _log_out(driver)
        _log_in(driver, base, MEMBERS["admin"])
        assert driver.current_url.endswith("/staff")
        _no_serious_violation(driver, "staff")
        driver.get(f"{base}/queue")
        assert "403" in driver.find_element(By.TAG_NAME, "h1").text
        _log_out(driver)
        # The case page's screenshot as a caseworker sees it: the CPR number masked (the
        # artefacts are kept with the logs, where no CPR number may stand in clear).
        _log_in(driver, base, MEMBERS["caseworker"])
        driver.get(case_url)
        assert "030340-****" in driver.page_source and "0303403457" not in driver.page_source
        screenshot(driver, "case")
    with workbench.nights.engine.connect() as connection:
        case_id = int(case_url.rsplit("/", 1)[1])
        assert cases.case_status(connection=connection, case_id=case_id) == "decided"


def test_the_keyboard_reaches_the_skip_link_and_the_log_in_form(workbench: Workbench) -> None:
    from selenium.webdriver.common.keys import Keys

    with served(workbench.app) as base, chromium() as driver:
        driver.get(f"{base}/login")
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        assert driver.switch_to.active_element.text == "Skip to content"
        driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.switch_to.active_element.get_attribute("id") == "name"


def test_a_claim_released_in_the_browser_is_paid_by_the_next_run(workbench: Workbench) -> None:
    with served(workbench.app) as base, chromium() as driver:
        _log_in(driver, base, MEMBERS["control_group"])
        _click(driver, By.PARTIAL_LINK_TEXT, "Case ")
        _click(driver, By.XPATH, "//button[text()='Take this case']")
        driver.find_element(By.ID, "decision-release").click()
        driver.find_element(By.ID, "comment").send_keys("the shop confirms the sale")
        _click(driver, By.XPATH, "//button[text()='Record the decision']")
        assert "decided: release" in driver.page_source
    second = workbench.nights.run()
    assert [b.total_oere for b in second.batches] == [150_000]
    assert workbench.nights.life("B3").state.value == "paid"
