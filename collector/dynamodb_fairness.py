"""Fair recognition in DynamoDB: the counters a put adds to, and the survey's salt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import fairness
from .dynamodb_table import SALT_SK, TTL_ATTRIBUTE, DynamoTable, is_condition_failure, item_key, survey_pk
from .store import Record, StoreError


class DynamoFairness(DynamoTable):
    def fairness_salt(self, survey: str) -> bytes:
        pk = survey_pk(survey)
        item = self._get_item("read the fairness salt", pk, SALT_SK)
        if item is None:
            salt = {**item_key(pk, SALT_SK), "salt": {"B": fairness.new_salt()}}
            try:
                self._call(
                    "make the fairness salt",
                    "put_item",
                    TableName=self.table,
                    Item=salt,
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except StoreError as exc:
                if not is_condition_failure(exc):
                    raise
            item = self._get_item("read the fairness salt", pk, SALT_SK)
        if item is None:
            raise StoreError(f"DynamoDB table {self.table} lost the fairness salt of survey {survey}")
        return bytes(item["salt"]["B"])


def fair_pk(survey: str, counter: str) -> str:
    return f"FAIR#{survey}#{counter}"


def recognition_update(
    table: str, record: Record, counter: str, limit: int, over: bool | None
) -> dict[str, Any]:
    """The Update of one recognition counter (a device's or a network's), conditional on which side of
    its limit it is: under it (`over` None: the first attempt), at or past it (True: the counter the
    record is flagged by), or not at all (False: another counter flags the record)."""
    expires = datetime.fromisoformat(record.day).replace(tzinfo=UTC).timestamp()
    update: dict[str, Any] = {
        "TableName": table,
        "Key": item_key(fair_pk(record.survey, counter), f"{record.day}#{record.response['staff']}"),
        "UpdateExpression": "SET #ttl = :expires ADD n :one",
        "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":expires": {"N": str(int(expires) + (fairness.KEEP_DAYS + 1) * 86400)},
        },
    }
    if limit and over is not False:
        update["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
        update["ConditionExpression"] = "n >= :limit" if over else "attribute_not_exists(n) OR n < :limit"
    return {"Update": update}
