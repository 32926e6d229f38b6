"""Launching Debian's Chromium through Playwright for browser tests (never a downloaded browser).

Where no Chromium can be had the browser tests skip with a loud reason, except under CI (CI=true), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

import pytest

from wowcard.pdf import ARGS  # no sandbox, no calls home on a closed network: as `wowcard cards` runs it

CHROMIUM = os.environ.get("WOWCARD_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


def require_chromium() -> str:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return CHROMIUM
    message = (
        f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; scripts/test installs it)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("SKIPPED LOUDLY: " + message)


def launch(playwright, host_rules: Sequence[str] = ()):
    """A headless Chromium. host_rules like "MAP wowcard.test 127.0.0.1" reach loopback by another name."""
    args = list(ARGS)
    if host_rules:
        args.append("--host-resolver-rules=" + ",".join(host_rules))
    return playwright.chromium.launch(executable_path=require_chromium(), headless=True, args=args)


def phone_context(browser, javascript: bool = True, **kwargs):
    """A phone-sized page context (390x844, touch), JavaScript on or off."""
    return browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
        **kwargs,
    )
