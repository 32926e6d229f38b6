"""The DynamoDB table: its definition, item keys and value encoding, and `DynamoTable`, the calls to it with
retries (the base of every part of DynamoStore)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .retry import Retry, describe
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


# --- calls to the table, with retries -----------------------------------------------------------------------

T = TypeVar("T")

RETRYABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# Errors that prove the request was not carried out, so a retry is a new request with a new token.
REJECTED_ERRORS = RETRYABLE_ERRORS - {
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


def make_client(
    region: str | None = None, endpoint_url: str | None = None, profile: str | None = None
) -> Any:
    """A DynamoDB client with short timeouts and botocore's retries off (retry.py owns the budget): one
    request per call. (botocore's `max_attempts` counts RETRIES, so `max_attempts: 1` would send each call
    twice; `total_max_attempts` counts requests.)"""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 1, "mode": "standard"})
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        return session.client("dynamodb", region_name=region, endpoint_url=endpoint_url, config=config)
    except BotoCoreError as exc:
        hint = " (pass --region or set AWS_REGION)" if "region" in str(exc).lower() else ""
        raise StoreError(f"cannot reach DynamoDB: {exc}{hint}") from None


class DynamoTable:
    """One DynamoDB table and the calls to it, each retried. Thread-safe; the client is made on first use."""

    def __init__(
        self,
        table: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        client: Any = None,
        retry: Retry | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int | None = None,
    ):
        self.table = table
        # Worst case of a put: the 8 s deadline plus a last 3 s read timeout, well inside API Gateway's 29 s.
        self.retry = retry or Retry(attempts=6, base=0.05, cap=1.0, deadline=8.0, retry_after=5)
        self.clock = clock  # wall clock, for personal items past their expiry
        self.page_size = page_size  # Query Limit; None lets DynamoDB fill 1 MB pages
        self._client = client
        self._client_args = (region, endpoint_url, profile)
        self._client_lock = threading.Lock()
        self._definitions: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = make_client(*self._client_args)
        return self._client

    def close(self) -> None:
        """Nothing to release: boto3 clients hold pooled connections that need no closing."""

    # --- calls with retries --------------------------------------------------------------------------

    def _run(self, what: str, attempt: Callable[[], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.retry.run(attempt, transient, f"DynamoDB table {self.table}")
        except ClientError as exc:
            raise StoreError(self._explain(exc, what)) from exc
        except BotoCoreError as exc:
            raise StoreError(f"could not {what} in DynamoDB table {self.table}: {describe(exc)}") from exc

    def _call(self, what: str, method: str, **params: Any) -> dict[str, Any]:
        return self._run(what, lambda: getattr(self.client, method)(**params))

    def _explain(self, exc: Any, what: str) -> str:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            return f"DynamoDB table {self.table} does not exist (deploy it first, or check --region)"
        if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
            message = exc.response["Error"].get("Message", code)
            return f"not allowed to {what} in DynamoDB table {self.table}: {message}"
        return f"could not {what} in DynamoDB table {self.table}: {describe(exc)}"

    def _transact(self, what: str, items: list[dict[str, Any]]) -> list[str] | None:
        """One TransactWriteItems, retried. None: committed. A list of reason codes (one per item): cancelled
        because a condition failed, so nothing was written."""
        from botocore.exceptions import ClientError

        if len(items) > 100:
            raise StoreError(f"could not {what}: {len(items)} writes exceed a transaction's 100")
        token = [uuid.uuid4().hex]

        def attempt() -> list[str] | None:
            try:
                self.client.transact_write_items(TransactItems=items, ClientRequestToken=token[0])
                return None
            except ClientError as exc:
                code = error_code(exc)
                if code == "TransactionCanceledException":
                    reasons = cancel_reasons(exc)
                    if "ConditionalCheckFailed" in reasons:
                        return reasons
                if code in REJECTED_ERRORS or code == "TransactionCanceledException":
                    token[0] = uuid.uuid4().hex  # it was not carried out: the next call is a new request
                raise

        return self._run(what, attempt)

    def _query(self, what: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a Query, page by page (each page retried on its own)."""
        params = {"TableName": self.table, **params}
        if self.page_size and "Limit" not in params:
            params["Limit"] = self.page_size
        while True:
            page = self._call(what, "query", **params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_get(self, what: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            chunk = [item_key(pk, sk) for pk, sk in unique[start : start + 100]]
            for item in self._batch_get_chunk(what, chunk):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
        return found

    def _batch_get_chunk(self, what: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pending = {"Keys": keys, "ConsistentRead": True}
        found: list[dict[str, Any]] = []

        def attempt() -> list[dict[str, Any]]:
            page = self.client.batch_get_item(RequestItems={self.table: pending})
            found.extend(page.get("Responses", {}).get(self.table, []))
            left = page.get("UnprocessedKeys", {}).get(self.table)
            if left:
                pending["Keys"] = left["Keys"]
                raise Unprocessed("DynamoDB left keys unprocessed")
            return found

        return self._run(what, attempt)

    def _batch_write(self, what: str, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            self._batch_write_chunk(what, requests[start : start + 25])

    def _batch_write_chunk(self, what: str, requests: list[dict[str, Any]]) -> None:
        pending = list(requests)

        def attempt() -> None:
            page = self.client.batch_write_item(RequestItems={self.table: pending})
            left = page.get("UnprocessedItems", {}).get(self.table)
            if left:
                pending[:] = left
                raise Unprocessed("DynamoDB left writes unprocessed")

        self._run(what, attempt)

    def _latest(self, survey: str) -> dict[str, Any] | None:
        return self._get_item("read a survey definition", survey_pk(survey), LATEST_SK)

    def _get_item(self, what: str, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._call(what, "get_item", TableName=self.table, Key=item_key(pk, sk), ConsistentRead=True)
        return found.get("Item")

    def _shards(self, survey: str) -> int:
        """How many shards readers look at: the most the survey ever had (the latest pointer keeps that)."""
        latest = self._latest(survey)
        return int(latest["max_shards"]["N"]) if latest else MAX_SHARDS

    def _expired(self, item: dict[str, Any]) -> bool:
        """An item past its `expires_at` is gone for readers (DynamoDB's TTL deletes lazily)."""
        expires = item.get(TTL_ATTRIBUTE)
        return expires is not None and int(expires["N"]) <= self.clock()


def is_condition_failure(exc: StoreError) -> bool:
    return error_code(exc.__cause__) == "ConditionalCheckFailedException"


class Unprocessed(Exception):
    """DynamoDB accepted part of a batch: the rest is retried with backoff like a throttled request."""


def error_code(exc: Any) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def cancel_reasons(exc: Any) -> list[str]:
    """The per-item cancellation codes of a TransactionCanceledException ("None" for items that were fine)."""
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return [reason.get("Code", "None") for reason in reasons]
    found = re.search(r"\[([^\]]*)\]", exc.response.get("Error", {}).get("Message", ""))
    return [code.strip() for code in found.group(1).split(",")] if found else []


def transient(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, (Unprocessed, ConnectionError, HTTPClientError)):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code == "TransactionCanceledException":
        reasons = cancel_reasons(exc)
        return "ConditionalCheckFailed" not in reasons and any(r in RETRYABLE_REASONS for r in reasons)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRYABLE_ERRORS or status >= 500
