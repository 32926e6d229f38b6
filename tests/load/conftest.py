"""The load run's figures (throughput, p50/p99 latency) in pytest's terminal summary, so CI logs show them
without `-s`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def load_report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    lines = request.config.stash.setdefault(FIGURES, [])
    return lines.append


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 - pytest's hook
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("load run")
        for line in lines:
            terminalreporter.write_line(line)
