"""Whether a week's wow rate met the rule of 1 % against the week before, judged honestly: only when the
change is outside the noise of that week's number of answers.

The test: the 95 % Wilson score interval of this week's wow rate (yes / (yes + no)) is compared with the
goal, last week's rate x 1.01 (at most 100 %). The whole interval above the goal: "met"; the whole interval
below it: "missed"; the goal inside the interval: "too_few" (too few answers to tell). No wow answers this
week: "too_few"; none the week before: None (nothing to compare with). The week still running is
"in_progress" and never judged (the caller says so).

Here, in the collector, because the weekly digest sent by the Lambda needs it; reports import it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GOAL_PERCENT = 1
Z_95 = 1.959963984540054  # the two-sided 95 % quantile of the normal distribution
MET, MISSED, TOO_FEW, IN_PROGRESS = "met", "missed", "too_few", "in_progress"
WORDS = {
    MET: "met",
    MISSED: "missed",
    TOO_FEW: "too few answers to tell",
    IN_PROGRESS: "the week is still in progress",
    None: "no earlier week to compare with",
}


@dataclass(frozen=True, slots=True)
class WowVerdict:
    verdict: str | None  # "met", "missed", "too_few", or None: no earlier week to compare with
    rate: float | None  # this week's wow rate
    goal: float | None  # last week's rate x 1.01
    low: float | None  # this week's 95 % interval
    high: float | None

    @property
    def words(self) -> str:
        return WORDS[self.verdict]


def wilson_interval(yes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (good at small counts and near 0 or 1)."""
    if total <= 0:
        return (0.0, 1.0)
    p = yes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def wow_rate_verdict(yes: int, no: int, previous_yes: int, previous_no: int) -> WowVerdict:
    """This week's wow answers (yes, no) against last week's: met, missed, too few to tell, or None."""
    total, previous = yes + no, previous_yes + previous_no
    rate = yes / total if total else None
    if not previous:
        return WowVerdict(None, rate, None, None, None)
    # A week after a perfect one can at best be perfect too: the goal stops at 100 %.
    goal = min(previous_yes / previous * (100 + GOAL_PERCENT) / 100, 1.0)
    if not total:
        return WowVerdict(TOO_FEW, None, goal, None, None)
    low, high = wilson_interval(yes, total)
    if low > goal:  # strictly: after a week of 0 %, a week of 0 of 2 has met nothing
        verdict = MET
    elif high < goal:
        verdict = MISSED
    else:
        verdict = TOO_FEW
    return WowVerdict(verdict, rate, goal, low, high)
