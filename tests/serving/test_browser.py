"""The page in a real browser: headless Chromium records a real RAVDESS recording as its microphone.

Chromium's fake capture device plays a WAV as the microphone
(``--use-file-for-fake-audio-capture``), so the page's MediaRecorder, upload and chart run
exactly as for a person. Skipped with the reason where Chromium or chromedriver is
absent (``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``) or where
``../shared`` is not beside the project.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ravdess_emotion.features.audio import load_audio_samples

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")

pytestmark = [
    pytest.mark.slow,  # starts a browser
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver; "
        ".ci/run installs them)",
    ),
]


@pytest.fixture
def microphone_file(ravdess_audio: Path, tmp_path: Path) -> Path:
    """A real RAVDESS recording (actor 01, angry) as 16-bit WAV at 48 kHz, which Chromium's fake device plays."""
    samples = load_audio_samples(ravdess_audio / "Actor_01" / "03-01-05-02-01-01-01.flac", 48000)
    path = tmp_path / "microphone.wav"
    sf.write(path, np.clip(samples, -1, 1), 48000, subtype="PCM_16")
    return path


@pytest.fixture
def browser(microphone_file: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root in a container
        "--disable-dev-shm-usage",
        "--use-fake-ui-for-media-stream",  # grants the microphone without a prompt
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone_file}",
        "--window-size=900,1000",
    ):
        options.add_argument(argument)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait_for_answer(driver, seconds: float = 120) -> str:
    """The predicted emotion once the page shows one; fails with the page's status when it shows an error."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def answered(d) -> bool:
        status = d.find_element(By.ID, "status")
        return bool(d.find_element(By.ID, "predicted").text) or status.get_attribute("class") == "error"

    WebDriverWait(driver, seconds).until(answered)
    predicted = driver.find_element(By.ID, "predicted").text
    assert predicted, driver.find_element(By.ID, "status").text
    return predicted.lower()


def _bar_widths(driver) -> dict[str, float]:
    from selenium.webdriver.common.by import By

    return {
        emotion: float(
            driver.find_element(By.ID, f"bar-{emotion}").value_of_css_property("width").rstrip("px")
        )
        for emotion in EMOTIONS
    }


def test_recording_from_the_microphone_shows_the_emotion_and_the_chart(
    browser, live_server: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live_server)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "model").text == "audio.h5")
    browser.find_element(By.ID, "record").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "stop").is_enabled())
    browser.execute_script("return new Promise((done) => setTimeout(done, 4000));")  # speak for 4 s
    browser.find_element(By.ID, "stop").click()
    predicted = _wait_for_answer(browser)
    assert predicted in EMOTIONS
    widths = _bar_widths(browser)
    assert widths[predicted] == max(widths.values()) > 0
    assert "s" in browser.find_element(By.ID, "way").text  # how long the recording was
    screenshot = tmp_path / "page.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    if target := os.environ.get(
        "RAVDESS_SCREENSHOT"
    ):  # to look at it: RAVDESS_SCREENSHOT=page.png pytest ...
        shutil.copyfile(screenshot, target)


def test_an_uploaded_file_and_a_tone_get_an_answer_each(browser, live_server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live_server)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "model").text == "audio.h5")
    tone = tmp_path / "tone.wav"
    t = np.arange(3 * 16000) / 16000
    sf.write(tone, 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    browser.find_element(By.ID, "file").send_keys(str(tone))
    WebDriverWait(browser, 60).until(
        lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error"
    )
    assert "no speech detected" in browser.find_element(By.ID, "status").text
    browser.refresh()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "model").text == "audio.h5")
    browser.find_element(By.ID, "file").send_keys(str(tmp_path / "microphone.wav"))
    assert _wait_for_answer(browser) in EMOTIONS
