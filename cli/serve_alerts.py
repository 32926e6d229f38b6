"""The alert sender of `wowcard serve`: with `[alerts]` in survey.toml a background thread sends the alerts
the collector queued (one outbox entry per qualifying answer, written with the response).

It sweeps the outbox every second, so an alert reaches the webhook within a few seconds of the answer, and
never while the customer waits for theirs; the webhook URL is read from the owner's environment ("env:NAME")
when an alert is sent. Stopping lets an alert being sent finish; one not yet sent stays in the outbox.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from .collector import config
from .collector.survey import Survey

ALERT_SWEEP_SECONDS = 1.0


class AlertWorker:
    """Sends a survey's queued alerts from a background thread: a sweep every `interval` seconds, each
    delivering what is due (collector/alerts.py: claim with a lease, post, settle, retry with backoff)."""

    def __init__(
        self,
        survey: Survey,
        interval: float = ALERT_SWEEP_SECONDS,
        clock: Callable[[], float] = time.time,
        send: Callable[..., None] | None = None,
    ):
        from .collector.alerts import post_json, webhook_source

        assert survey.alerts is not None
        self.survey = survey
        self.interval = interval
        self.clock = clock
        self.send = send or post_json
        self.webhook = webhook_source(survey.alerts.webhook)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.log = logging.getLogger("wowcard.alerts")

    def start(self) -> AlertWorker:
        env = self.survey.alerts.webhook_env if self.survey.alerts else None
        if env and not os.environ.get(env, "").strip():
            self.log.warning(
                "alerts wait in the outbox: the environment variable %s (alerts.webhook in survey.toml) is "
                "not set; start `wowcard serve` again with it set",
                env,
            )
        self._thread = threading.Thread(target=self._run, name="wowcard-alerts", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        from .collector.alerts import Sender

        sender: Sender | None = None
        while True:
            try:
                store = config.get_store()
                if sender is None or sender.store is not store:
                    sender = Sender(store, self.survey.id, self.webhook, clock=self.clock, send=self.send)
                sender.sweep(time_left=self._time_left)
            except Exception:
                # The store after its retries, or a bug: the alert stays in the outbox (its lease runs out)
                # and the next sweep tries again. Never the webhook's URL in the log.
                self.log.exception("could not send the alerts of survey %s; trying again", self.survey.id)
            if self._stop.wait(self.interval):
                return

    def _time_left(self) -> float:
        """While stopping, no new alert is claimed (one being sent finishes)."""
        return 0.0 if self._stop.is_set() else float("inf")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
