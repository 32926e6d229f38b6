"""The alert outbox in DynamoDB (alerts queued by a put, claimed by senders) and the weekly digest."""

from __future__ import annotations

import uuid
from typing import Any

from .dynamodb_table import (
    TTL_ATTRIBUTE,
    DynamoTable,
    is_condition_failure,
    item_key,
    number,
    outbox_pk,
    survey_pk,
)
from .store import ALERT_FAILED, ALERT_HELD, ALERT_PENDING, HELD_KEEP_SECONDS, Alert, StoreError, digest_alert


class DynamoOutbox(DynamoTable):
    def due_alerts(self, survey: str, now: float, limit: int) -> list[Alert]:
        """One Query per outbox shard (each holds only alerts not yet sent), oldest due first."""
        due: list[Alert] = []
        for shard in range(self._shards(survey)):
            found = self._query(
                "read due alerts",
                KeyConditionExpression="pk = :pk",
                FilterExpression="#state = :pending AND due <= :now "
                "AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":pk": {"S": outbox_pk(survey, shard)},
                    ":pending": {"S": ALERT_PENDING},
                    ":now": {"N": number(now)},
                },
                ConsistentRead=True,
            )
            due.extend(alert_of(survey, item) for item in found)
        due.sort(key=lambda alert: (alert.due, alert.response_id))
        return due[: max(limit, 0)]

    def claim_alert(self, alert: Alert, now: float, lease_seconds: float) -> Alert | None:
        lease = uuid.uuid4().hex
        try:
            found = self._call(
                "claim an alert",
                "update_item",
                TableName=self.table,
                Key=item_key(outbox_pk(alert.survey, alert.shard), alert.response_id),
                UpdateExpression="SET lease = :lease, lease_until = :until",
                ConditionExpression="attribute_exists(pk) AND #state = :pending AND due <= :now "
                "AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":lease": {"S": lease},
                    ":until": {"N": number(now + lease_seconds)},
                    ":pending": {"S": ALERT_PENDING},
                    ":now": {"N": number(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except StoreError as exc:
            if is_condition_failure(exc):
                return None  # another sender holds it, or it was sent or deleted meanwhile
            raise
        return alert_of(alert.survey, found["Attributes"])

    def alert_sent(self, alert: Alert) -> bool:
        return self._settle(
            "mark an alert sent",
            "delete_item",
            alert,
            ConditionExpression="lease = :lease",
            ExpressionAttributeValues={":lease": {"S": alert.lease or ""}},
        )

    def alert_failed(self, alert: Alert, error: str, retry_at: float | None) -> bool:
        values = {
            ":lease": {"S": alert.lease or ""},
            ":state": {"S": ALERT_PENDING if retry_at is not None else ALERT_FAILED},
            ":error": {"S": error},
            ":one": {"N": "1"},
        }
        update = "SET #state = :state, last_error = :error"
        if retry_at is not None:
            update += ", due = :due"
            values[":due"] = {"N": number(retry_at)}
        return self._settle(
            "record a failed alert",
            "update_item",
            alert,
            UpdateExpression=update + " ADD attempts :one REMOVE lease, lease_until",
            ConditionExpression="lease = :lease",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values,
        )

    def _settle(self, what: str, method: str, alert: Alert, **params: Any) -> bool:
        key = item_key(outbox_pk(alert.survey, alert.shard), alert.response_id)
        try:
            self._call(what, method, TableName=self.table, Key=key, **params)
        except StoreError as exc:
            if is_condition_failure(exc):
                return False  # the lease ran out and another sender holds it now
            raise
        return True

    def alert_held(self, alert: Alert, now: float) -> bool:
        return self._settle(
            "hold an alert",
            "update_item",
            alert,
            UpdateExpression="SET #state = :held, due = :now, #ttl = :expires REMOVE lease, lease_until",
            ConditionExpression="lease = :lease",
            ExpressionAttributeNames={"#state": "state", "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":lease": {"S": alert.lease or ""},
                ":held": {"S": ALERT_HELD},
                ":now": {"N": number(now)},
                ":expires": {"N": str(int(now + HELD_KEEP_SECONDS))},
            },
        )

    def alerts(self, survey: str) -> list[Alert]:
        found = [
            alert_of(survey, item)
            for shard in range(self._shards(survey))
            for item in self._query(
                "read alerts",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": outbox_pk(survey, shard)}},
                ConsistentRead=True,
            )
            if not self._expired(item)  # a held alert past its week (TTL deletes lazily)
        ]
        return sorted(found, key=lambda alert: (alert.received_at, alert.response_id))

    def retry_alerts(self, survey: str, now: float) -> int:
        queued = 0
        for alert in self.alerts(survey):
            if alert.state != ALERT_FAILED:
                continue
            if self._settle(
                "queue a failed alert again",
                "update_item",
                alert,
                UpdateExpression="SET #state = :pending, due = :now, since = :now, attempts = :zero "
                "REMOVE lease, lease_until",
                ConditionExpression="#state = :failed",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":pending": {"S": ALERT_PENDING},
                    ":failed": {"S": ALERT_FAILED},
                    ":now": {"N": number(now)},
                    ":zero": {"N": "0"},
                },
            ):
                queued += 1
        return queued

    # --- the weekly digest ---------------------------------------------------------------------------

    def claim_digest(self, survey: str, week: str, now: float, queue: bool = True) -> bool:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **item_key(survey_pk(survey), f"DIGEST#{week}"),
                        "claimed_at": {"N": number(now)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if queue:
            writes.append(
                {"Put": {"TableName": self.table, "Item": alert_item(digest_alert(survey, week, now))}}
            )
        return self._transact("claim the weekly digest", writes) is None


def alert_item(alert: Alert) -> dict[str, Any]:
    """The outbox item of an alert not yet attempted."""
    return {
        **item_key(outbox_pk(alert.survey, alert.shard), alert.response_id),
        "shard": {"N": str(alert.shard)},
        "reasons": {"L": [{"S": reason} for reason in alert.reasons]},
        "received_at": {"S": alert.received_at},
        "state": {"S": alert.state},
        "due": {"N": number(alert.due)},
        "since": {"N": number(alert.since)},
        "attempts": {"N": "0"},
    }


def alert_of(survey: str, item: dict[str, Any]) -> Alert:
    return Alert(
        survey=survey,
        response_id=item["sk"]["S"],
        shard=int(item["shard"]["N"]),
        reasons=tuple(reason["S"] for reason in item.get("reasons", {}).get("L", [])),
        received_at=item["received_at"]["S"],
        state=item["state"]["S"],
        due=float(item["due"]["N"]),
        since=float(item["since"]["N"]),
        attempts=int(item.get("attempts", {}).get("N", "0")),
        last_error=item.get("last_error", {}).get("S"),
        lease=item.get("lease", {}).get("S"),
    )
