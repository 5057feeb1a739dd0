"""Launching Debian's Chromium for the page tests and the scan benchmark (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # nothing but our loopback server is ever contacted
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

FAKE_CAMERA_ARGS = (
    "--use-fake-ui-for-media-stream",  # grant the camera without a prompt
    "--use-fake-device-for-media-stream",
)


def launch_chromium(playwright: Any, *, extra_args: Sequence[str] = ()) -> Any:
    """Launch /usr/bin/chromium headless; Playwright gives each launch a fresh temporary profile."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args],
    )


def fake_camera_args(y4m: Path) -> list[str]:
    """Arguments that make getUserMedia return the frames of `y4m` as the camera."""
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={y4m}"]


def new_phone_context(browser: Any, *, locale: str = "zh-CN", **options: Any) -> Any:
    """A fresh context like a phone: 360 px wide, Shanghai time, the given language."""
    settings = {
        "locale": locale, "timezone_id": "Asia/Shanghai", "viewport": {"width": 360, "height": 780},
        "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
    }
    settings.update(options)
    return browser.new_context(**settings)
