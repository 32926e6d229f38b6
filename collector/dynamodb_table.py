"""The DynamoDB table itself: its definition (indexes, TTL), the keys of its items and how values are encoded
in them. The layout those keys follow is documented once, in store_dynamodb.py's docstring."""

from __future__ import annotations

import re
from typing import Any

from .store import StoreError

TTL_ATTRIBUTE = "expires_at"
INDEX_BY_DAY = "by_day"
INDEX_FOLLOWUPS = "followups"
INDEX_STORIES = "stories"
INDEX_RETENTION = "retention"
MAX_SHARDS = 64  # survey.toml allows 1..64 shards; readers of an unpublished survey look at all of them
RESPONSE_SK = "RESP"
PERSONAL_SK = "PERSONAL"
LATEST_SK = "LATEST"
SALT_SK = "SALT"
LAST = "~"  # sorts after every character of ids, days and locations
# Attributes the engine adds for keys and indexes; a response read back never shows them.
INTERNAL = frozenset(
    {"pk", "sk", "day_pk", "day_sk", "fup_pk", "fup_sk", "story_pk", "story_sk", "keep_pk", "keep_sk"}
    | {"personal", "personal_expires", TTL_ATTRIBUTE}
)


def gsi(name: str, hash_key: str, range_key: str, projection: str = "ALL") -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": projection},
    }


def table_definition(name: str | None = None) -> dict[str, Any]:
    """The CreateTable arguments of the wowcard table (deploy translates them into CloudFormation)."""
    key_attributes = ("pk", "sk", "day_pk", "day_sk", "fup_pk", "fup_sk", "story_pk", "story_sk")
    definition: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": "S"} for attr in (*key_attributes, "keep_pk", "keep_sk")
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            gsi(INDEX_BY_DAY, "day_pk", "day_sk"),
            gsi(INDEX_FOLLOWUPS, "fup_pk", "fup_sk"),
            gsi(INDEX_STORIES, "story_pk", "story_sk"),
            gsi(INDEX_RETENTION, "keep_pk", "keep_sk", "KEYS_ONLY"),
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if name is not None:
        definition = {"TableName": name, **definition}
    return definition


def create_table(client: Any, name: str) -> None:
    """Create the table, wait until it is active, and switch on TTL for personal items (tests, serve)."""
    client.create_table(**table_definition(name))
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )


def survey_pk(survey: str) -> str:
    """The partition of a survey's own items: definitions, the latest pointer, digest claims, the salt."""
    return f"SURVEY#{survey}"


def tally_pk(survey: str, shard: int) -> str:
    return f"TALLY#{survey}#{shard}"


def outbox_pk(survey: str, shard: int) -> str:
    return f"OUTBOX#{survey}#{shard}"


def response_pk(survey: str, response_id: str) -> str:
    return f"RESP#{survey}#{response_id}"


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def encode(values: dict[str, Any]) -> dict[str, Any]:
    return {name: encode_value(value) for name, value in values.items()}


def encode_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"M": encode(value)}
    if value is None:
        return {"NULL": True}
    raise StoreError(f"cannot store a {type(value).__name__} in DynamoDB")


def decode(item: dict[str, Any]) -> dict[str, Any]:
    return {name: decode_value(value) for name, value in item.items() if name not in INTERNAL}


def decode_value(attribute: dict[str, Any]) -> Any:
    ((kind, value),) = attribute.items()
    if kind == "N":
        return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
    if kind == "L":
        return [decode_value(v) for v in value]
    if kind == "M":
        return decode(value)
    if kind == "NULL":
        return None
    return value  # S, BOOL


def number(value: float) -> str:
    return f"{value:.3f}"
