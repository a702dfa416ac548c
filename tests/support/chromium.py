"""One way to start Debian's headless Chromium, shared by benchmarks and browser tests."""

from __future__ import annotations

import shutil

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-quic", "--window-size=1440,900")


def headless_chromium(logging: dict[str, str] | None = None, page_load_timeout: float = 60,
                      perf_logging: dict | None = None):
    """A Selenium driver on the system chromium + chromedriver (never a downloaded browser).

    ``logging`` is Chrome's ``goog:loggingPrefs``, e.g. {"browser": "ALL"} to read the console;
    ``perf_logging`` chromedriver's ``perfLoggingPrefs`` (network events, trace categories).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    if logging:
        options.set_capability("goog:loggingPrefs", logging)
    if perf_logging:
        options.add_experimental_option("perfLoggingPrefs", perf_logging)
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    drv.set_page_load_timeout(page_load_timeout)
    return drv
