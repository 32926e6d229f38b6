"""The collector's Chalice app: routes, nothing else (the steps live in `collect`, settings in `config`).

Public through API Gateway's stage `api` (and `wowcard serve`) as /api/s/{survey}/responses, /api/healthz and
/api/openapi.json. On AWS one more function, `send_alerts`, runs every minute and sends what the collector
queued in the alert outbox: alerts, shout-outs, a burst's summary, and on Mondays from 08:00 (survey time) the
week's digest, claimed once per week (under `wowcard serve` a background thread does the same). Standard
library, boto3 and chalice only.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate, Response

from . import collect, config, origin
from .answers import FORM

app = Chalice(app_name="wowcard")

CONTENT_TYPES = [FORM, "application/json", "text/plain"]
ALERTS_FUNCTION = "send_alerts"


# --- the origin secret (origin.py): registered first, so it runs before anything else ---------------------


@app.middleware("http")
def only_through_cloudfront(event: Any, get_response: Any) -> Response:
    """On AWS, a request without the origin secret CloudFront adds was sent around CloudFront: 403."""
    refused = collect.origin_refusal(event.headers.get(origin.HEADER))
    return get_response(event) if refused is None else _response(refused)


# --- routes ------------------------------------------------------------------------------------------------


@app.route("/s/{survey}/responses", methods=["POST"], content_types=CONTENT_TYPES)
def post_response(survey: str) -> Response:
    return _response(collect.submit(_incoming(survey), config.now()))


@app.route("/s/{survey}/responses", methods=["OPTIONS"])
def preflight_response(survey: str) -> Response:
    return _response(collect.preflight(_incoming(survey)))


@app.route("/healthz", methods=["GET"])
def healthz() -> Response:
    return _response(collect.health())


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return _response(collect.openapi())


@app.schedule(Rate(1, unit=Rate.MINUTES), name=ALERTS_FUNCTION)
def send_alerts(event: Any) -> dict[str, int]:
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return collect.send_alerts((lambda: remaining() / 1000) if callable(remaining) else None)


@app.middleware("http")
def collector_errors(event: Any, get_response: Any) -> Response:
    """Chalice's own answers (405, 415, a 500) in the collector's shape: `{"error", "field"}`, never a 500."""
    response = get_response(event)
    replaced = collect.uniform(response.status_code, response.body, response.headers)
    return response if replaced is None else _response(replaced)


def _incoming(survey: str) -> collect.Incoming:
    request = app.current_request
    assert request is not None, "Chalice sets current_request before it calls a route"
    headers = request.headers
    body = request.raw_body  # bytes: Chalice encodes a str body, though its annotation says str | bytes
    return collect.Incoming(
        survey=survey,
        body=body.encode() if isinstance(body, str) else body,
        content_type=headers.get("content-type"),
        content_length=headers.get("content-length"),
        origin=headers.get("origin"),
        client=(request.context.get("identity") or {}).get("sourceIp") or "",
        user_agent=headers.get("user-agent") or "",
    )


def _response(reply: collect.Reply) -> Response:
    headers: dict[str, str | list[str]] = {} if reply.body is None else {"Content-Type": "application/json"}
    headers.update(reply.headers)
    return Response(body="" if reply.body is None else reply.body, headers=headers, status_code=reply.status)
