"""The production store: one DynamoDB table (on demand), keeping the Store contract of store.py exactly like
the SQLite engine. boto3 is imported and the client made on first use, never at import (cold starts).

Key layout (`<sid>` survey, `<rid>` response id, `<k>` tally shard = hash of the response id, K per survey):

| item            | pk                 | sk                 | also                                           |
|-----------------|--------------------|--------------------|------------------------------------------------|
| definition      | `SURVEY#<sid>`     | `DEF#<version>`    | `body`: compiled JSON; every version is kept;  |
|                 |                    |                    | `published_at` (UTC) orders them               |
| latest pointer  | `SURVEY#<sid>`     | `LATEST`           | `version`, `body`, `max_shards` (max K so far) |
| response        | `RESP#<sid>#<rid>` | `RESP`             | counted fields; GSIs by_day, followups         |
| personal fields | `RESP#<sid>#<rid>` | `PERSONAL`         | what, comment, contact, note; TTL `expires_at` |
|                 |                    |                    | GSIs by_day, stories, retention                |
| tally           | `TALLY#<sid>#<k>`  | `<day>#<location>` | one number per tally field, updated with ADD   |
| alert (outbox)  | `OUTBOX#<sid>#<k>` | `<rid>`            | state, due, since, attempts, lease; deleted    |
|                 |                    |                    | once sent; held ones (a burst's summary) have  |
|                 |                    |                    | TTL `expires_at` a week on                     |
| digest (outbox) | `OUTBOX#<sid>#0`   | `digest:<week>`    | as an alert; the week's digest to send         |
| digest claim    | `SURVEY#<sid>`     | `DIGEST#<week>`    | `claimed_at`: put once per ISO week            |
| recognitions    | `FAIR#<sid>#<dev>` | `<day>#<staff>`    | `n`: count of the day's device (or network)    |
|                 |                    |                    | key; TTL                                       |
| fairness salt   | `SURVEY#<sid>`     | `SALT`             | `salt`: random bytes, made once                |

| GSI       | hash key                 | range key                                | on items                |
|-----------|--------------------------|------------------------------------------|-------------------------|
| by_day    | `<sid>#<k>`              | `<day>#<received_at>#<rid>#C` (`#P`)     | response, personal      |
| followups | `<sid>#<k>#open`, `#done` | `<received_at>#<rid>`                   | response with a contact |
| stories   | `<sid>#<staff>#<k>`      | `<received_at>#<rid>`                    | personal with a story   |
| retention | `<sid>#<k>`              | `<day>#<rid>` (keys only)                | personal                |

(GSI key attributes: day_pk/day_sk, fup_pk/fup_sk, story_pk/story_sk, keep_pk/keep_sk.)

- Exactly once: a put is ONE TransactWriteItems: Put response `attribute_not_exists(pk)`, Put personal item,
  ConditionCheck `attribute_not_exists(pk)` on each alias id's response, one `ADD` Update of the tally item,
  and when the answer has them a Put of its pending alert and `ADD` Updates of its recognition counters.
  A ConditionalCheckFailed on the response or an alias means "already stored": nothing changed, `put`
  answers False.
- Fair recognition is exact without a read: each counter's Update (the device's, the network's) carries
  `n < limit`; when only one of those fails, its limit was reached, and the put is made again flagged with
  that counter's condition `n >= limit` (the other counter is then added to without a condition).
- The outbox is sharded like the tallies (the response's shard), so a sender Queries K small partitions
  (never a Scan): only alerts not yet sent are there, since a sent alert is deleted. Claims and settlements
  are conditional writes on the lease.
- Reports read tallies: a date range is one Query per shard (`sk BETWEEN <since># AND <until>#~`).
- No hot key: every partition key written per response (table and GSIs) carries the shard, so each takes
  1/K of a survey's writes.
- Retention is redaction: what a customer wrote (what, comment, contact, note) lives in the personal item,
  which DynamoDB deletes by itself at `expires_at` (received + the definition's retention_days), and which
  `redact()` deletes on demand. Counted fields and tallies stay, so `wowcard verify` stays exact. Readers
  treat a personal item past its `expires_at` as gone (TTL deletes lazily).
- Exports and verify read the `by_day` index: K Queries for any date range, merged in (day, received_at,
  id) order; a response's personal item sorts right after it (`#C` < `#P`), so no extra reads are needed.
- Retries: throttling, transaction conflicts, 5xx and connection errors are retried with jittered backoff
  (retry.py; botocore's own retries are off so one budget bounds the request), then StoreUnavailable. A
  retry after an answer that never arrived reuses the ClientRequestToken (DynamoDB then replies success
  without writing twice); in any case the conditional put turns a second write into a duplicate.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from . import fairness, tally
from .retry import Retry, describe
from .store import (
    ALERT_FAILED,
    ALERT_HELD,
    ALERT_PENDING,
    DIGEST_PREFIX,
    HELD_KEEP_SECONDS,
    PERSONAL_FIELDS,
    RESPONSE_FIELDS,
    Alert,
    Record,
    StoreError,
    TallyRow,
    iso_time,
)

T = TypeVar("T")

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


def _index(name: str, hash_key: str, range_key: str, projection: str = "ALL") -> dict[str, Any]:
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
            _index(INDEX_BY_DAY, "day_pk", "day_sk"),
            _index(INDEX_FOLLOWUPS, "fup_pk", "fup_sk"),
            _index(INDEX_STORIES, "story_pk", "story_sk"),
            _index(INDEX_RETENTION, "keep_pk", "keep_sk", "KEYS_ONLY"),
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


class DynamoStore:
    """The Store contract on one DynamoDB table. Thread-safe; the client is made on first use."""

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

    def __repr__(self) -> str:
        return f"DynamoStore({self.table!r})"

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
            return self.retry.run(attempt, _transient, f"DynamoDB table {self.table}")
        except ClientError as exc:
            raise StoreError(self._explain(exc, what)) from exc
        except BotoCoreError as exc:
            raise StoreError(f"could not {what} in DynamoDB table {self.table}: {describe(exc)}") from exc

    def _call(self, what: str, method: str, **params: Any) -> dict[str, Any]:
        return self._run(what, lambda: getattr(self.client, method)(**params))

    def _explain(self, exc: Any, what: str) -> str:
        code = _code(exc)
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
                code = _code(exc)
                if code == "TransactionCanceledException":
                    reasons = _reasons(exc)
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

    def _tally_items(
        self, survey: str, shard: int, since: str, until: str, **extra: Any
    ) -> Iterator[dict[str, Any]]:
        """The tally items of one shard for days since..until: one Query, whatever the number of days."""
        return self._query(
            "read tallies",
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"TALLY#{survey}#{shard}"},
                ":lo": {"S": f"{since}#"},
                ":hi": {"S": f"{until}#{LAST}"},
            },
            ConsistentRead=True,
            **extra,
        )

    def _batch_get(self, what: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            chunk = [_key(pk, sk) for pk, sk in unique[start : start + 100]]
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
                raise _Unprocessed("DynamoDB left keys unprocessed")
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
                raise _Unprocessed("DynamoDB left writes unprocessed")

        self._run(what, attempt)

    # --- survey definitions --------------------------------------------------------------------------

    def publish(self, definition: dict[str, Any]) -> bool:
        survey, version = definition["survey"], definition["version"]
        body = json.dumps(definition, sort_keys=True, ensure_ascii=False)
        latest = self._latest(survey)
        pk = f"SURVEY#{survey}"
        new_latest = self._latest_item(pk, version, body, definition, latest)
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **_key(pk, f"DEF#{version}"),
                        "body": {"S": body},
                        "published_at": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self.table, "Item": new_latest}},
        ]
        if self._transact("publish a survey definition", items) is None:
            return True
        # That version was published before: it becomes the latest again (a survey.toml reverted), with the
        # body it was first published with (the same content: the version is its hash).
        if latest is None or latest["version"]["S"] != version:
            kept = self._get_item("read a survey definition", pk, f"DEF#{version}")
            if kept is not None:
                first = kept["body"]["S"]
                item = self._latest_item(pk, version, first, json.loads(first), latest)
                self._call("publish a survey definition", "put_item", TableName=self.table, Item=item)
        return False

    @staticmethod
    def _latest_item(
        pk: str, version: str, body: str, definition: dict[str, Any], latest: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The item naming the latest version; `max_shards` never shrinks (older answers keep their shard)."""
        max_shards = max(int(definition.get("shards", 1)), int(latest["max_shards"]["N"]) if latest else 0)
        return {
            **_key(pk, LATEST_SK),
            "version": {"S": version},
            "body": {"S": body},
            "max_shards": {"N": str(max_shards)},
        }

    def definition(self, survey: str, version: str | None = None) -> dict[str, Any] | None:
        if version is None:
            item = self._latest(survey)
            return json.loads(item["body"]["S"]) if item else None
        cached = self._definitions.get((survey, version))
        if cached is None:
            item = self._get_item("read a survey definition", f"SURVEY#{survey}", f"DEF#{version}")
            if item is None:
                return None
            cached = self._definitions.setdefault((survey, version), json.loads(item["body"]["S"]))
        return json.loads(json.dumps(cached))  # callers may change their copy; versions never change

    def definitions(self, survey: str) -> list[dict[str, Any]]:
        items = list(
            self._query(
                "read the survey definitions",
                KeyConditionExpression="pk = :pk AND begins_with(sk, :def)",
                ExpressionAttributeValues={":pk": {"S": f"SURVEY#{survey}"}, ":def": {"S": "DEF#"}},
                ConsistentRead=True,
            )
        )
        latest = self._latest(survey)
        current = latest["version"]["S"] if latest else None
        # Versions published before `published_at` was kept sort first, by version: deterministic either way.
        items.sort(
            key=lambda i: (
                i["sk"]["S"] == f"DEF#{current}",
                i.get("published_at", {}).get("S", ""),
                i["sk"]["S"],
            )
        )
        return [json.loads(i["body"]["S"]) for i in items]

    def _latest(self, survey: str) -> dict[str, Any] | None:
        return self._get_item("read a survey definition", f"SURVEY#{survey}", LATEST_SK)

    def _get_item(self, what: str, pk: str, sk: str) -> dict[str, Any] | None:
        return self._call(what, "get_item", TableName=self.table, Key=_key(pk, sk), ConsistentRead=True).get(
            "Item"
        )

    def _shards(self, survey: str) -> int:
        latest = self._latest(survey)
        return int(latest["max_shards"]["N"]) if latest else MAX_SHARDS

    # --- the write path ------------------------------------------------------------------------------

    def put(self, record: Record) -> bool:
        counters = record.counters()
        over: int | None = None  # which counter was found at its limit (the record is then flagged)
        for _ in range(4):
            current = record.flagged() if over is not None else record
            writes = self._put_items(current, over)
            reasons = self._transact("store a response", writes)
            if reasons is None:
                return True
            first_counter = len(writes) - len(counters)
            failed = {i for i, reason in enumerate(reasons) if reason == "ConditionalCheckFailed"}
            if any(i < first_counter for i in failed):
                return False  # the response (or an alias) is already stored
            # Only a recognition counter's condition failed. Unflagged: that counter reached its limit, so
            # store it flagged on the condition that it still has. Flagged: that counter is gone (a new
            # day), so store it unflagged again.
            over = min(failed) - first_counter if over is None else None
        raise StoreError("could not store a response: its recognition counters kept changing")

    def _put_items(self, record: Record, over: int | None = None) -> list[dict[str, Any]]:
        response = record.response
        unknown = sorted(set(response) - set(RESPONSE_FIELDS))
        if unknown:
            raise StoreError(f"{unknown[0]} is not a field of a stored response")
        survey, rid, shard = record.survey, record.id, record.shard
        pk = _response_pk(survey, rid)
        day_sk = f"{record.day}#{response['received_at']}#{rid}"
        core = {
            name: value
            for name, value in response.items()
            if name not in PERSONAL_FIELDS and value is not None
        }
        item = {**_key(pk, RESPONSE_SK), **_encode(core), "day_pk": {"S": f"{survey}#{shard}"}}
        item["day_sk"] = {"S": f"{day_sk}#C"}
        if response.get("followup"):
            state = "done" if response.get("done_at") else "open"
            item["fup_pk"] = {"S": f"{survey}#{shard}#{state}"}
            item["fup_sk"] = {"S": f"{response['received_at']}#{rid}"}
        writes = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        personal = {name: response[name] for name in PERSONAL_FIELDS if response.get(name) not in (None, "")}
        if personal:
            expires = self._expires(response)
            private = {**_key(pk, PERSONAL_SK), **_encode(personal), "day_pk": item["day_pk"]}
            private["day_sk"] = {"S": f"{day_sk}#P"}
            private["keep_pk"] = {"S": f"{survey}#{shard}"}
            private["keep_sk"] = {"S": f"{record.day}#{rid}"}
            if response.get("has_story") and response.get("staff") and personal.get("what"):
                private["story_pk"] = {"S": f"{survey}#{response['staff']}#{shard}"}
                private["story_sk"] = {"S": f"{response['received_at']}#{rid}"}
            item["personal"] = {"BOOL": True}
            if expires is not None:
                private[TTL_ATTRIBUTE] = {"N": str(expires)}
                item["personal_expires"] = {"N": str(expires)}
            writes.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": private,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for alias in record.aliases:
            check: dict[str, Any] = {
                "TableName": self.table,
                "Key": _key(_response_pk(survey, alias), RESPONSE_SK),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if record.aliases_since is not None:  # an alias stored before then is another answer
                check["ConditionExpression"] = "attribute_not_exists(pk) OR received_at < :since"
                check["ExpressionAttributeValues"] = {":since": {"S": record.aliases_since}}
            writes.append({"ConditionCheck": check})
        writes.extend(self._tally_updates(survey, record.day, record.location, shard, record.increments))
        if record.alert:
            writes.append({"Put": {"TableName": self.table, "Item": self._alert_item(record)}})
        for i, (counter, limit) in enumerate(record.counters()):  # last: put() finds them there
            condition = None if over is None else (i == over)
            writes.append(self._count_recognition(record, counter, limit, condition))
        return writes

    def _alert_item(self, record: Record) -> dict[str, Any]:
        received = record.received_epoch
        return {
            **_key(_outbox_pk(record.survey, record.shard), record.id),
            "shard": {"N": str(record.shard)},
            "reasons": {"L": [{"S": reason} for reason in record.alert]},
            "received_at": {"S": record.response["received_at"]},
            "state": {"S": ALERT_PENDING},
            "due": {"N": _number(received)},
            "since": {"N": _number(received)},
            "attempts": {"N": "0"},
        }

    def _count_recognition(
        self, record: Record, counter: str, limit: int, over: bool | None
    ) -> dict[str, Any]:
        """The Update of one recognition counter (a device's or a network's), conditional on which side of
        its limit it is: under it (`over` None: the first attempt), at or past it (True: the counter the
        record is flagged by), or not at all (False: another counter flags the record)."""
        expires = datetime.fromisoformat(record.day).replace(tzinfo=UTC).timestamp()
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(f"FAIR#{record.survey}#{counter}", f"{record.day}#{record.response['staff']}"),
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

    def _expires(self, response: dict[str, Any]) -> int | None:
        """When DynamoDB may delete the personal item: receive time + the definition's retention_days."""
        definition = self.definition(response["survey"], response.get("version"))
        if not definition or not definition.get("retention_days"):
            return None
        received = datetime.fromisoformat(response["received_at"]).timestamp()
        return int(received) + int(definition["retention_days"]) * 86400

    def _tally_updates(
        self, survey: str, day: str, location: str, shard: int, counts: dict[str, int]
    ) -> list[dict[str, Any]]:
        counts = {name: n for name, n in counts.items() if n}
        if not counts:
            return []
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        values = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
        update = {
            "TableName": self.table,
            "Key": _key(f"TALLY#{survey}#{shard}", f"{day}#{location}"),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        return [{"Update": update}]

    # --- reading -------------------------------------------------------------------------------------

    def tallies(self, survey: str, since: str, until: str, location: str | None = None) -> list[TallyRow]:
        """One Query per shard over the date range (a location filter is applied to what those return: a key
        condition cannot skip the other locations of a day)."""
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for shard in range(self._shards(survey)):
            for item in self._tally_items(survey, shard, since, until):
                day, loc = item["sk"]["S"].split("#", 1)
                if location is not None and loc != location:
                    continue
                counts = {name: int(value["N"]) for name, value in item.items() if name not in ("pk", "sk")}
                tally.add(rows.setdefault((day, loc), {}), counts)
        return [TallyRow(day, loc, counts) for (day, loc), counts in sorted(rows.items()) if counts]

    def responses(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """K Queries of the by_day index merged lazily: constant memory, whatever the range."""
        shards = [
            self._query(
                "read responses",
                IndexName=INDEX_BY_DAY,
                KeyConditionExpression="day_pk = :pk AND day_sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": f"{survey}#{shard}"},
                    ":lo": {"S": f"{since}#"},
                    ":hi": {"S": f"{until}#{LAST}"},
                },
            )
            for shard in range(self._shards(survey))
        ]
        held: dict[str, Any] | None = None
        for item in heapq.merge(*shards, key=lambda item: item["day_sk"]["S"]):
            sort_key = item["day_sk"]["S"]
            if sort_key.endswith("#P"):
                if held is not None and held["day_sk"]["S"][:-2] == sort_key[:-2]:
                    yield self._assemble(held, item)
                    held = None
                continue  # a personal item whose response was deleted since this page was read
            if held is not None:
                yield self._assemble(held, None)
            held = item
        if held is not None:
            yield self._assemble(held, None)

    def get(self, survey: str, response_id: str) -> dict[str, Any] | None:
        core, personal = self._items(survey, response_id)
        return self._assemble(core, personal) if core else None

    def _items(self, survey: str, response_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        found = {
            item["sk"]["S"]: item
            for item in self._query(
                "read a response",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": _response_pk(survey, response_id)}},
                ConsistentRead=True,
            )
        }
        return found.get(RESPONSE_SK), found.get(PERSONAL_SK)

    def stories(self, survey: str, staff: str, limit: int) -> list[dict[str, Any]]:
        """Newest first; a redacted (or expired) response has no words left, so it is no longer a story."""
        if limit <= 0:
            return []
        latest: list[dict[str, Any]] = []
        for shard in range(self._shards(survey)):
            found = self._query(
                "read stories",
                IndexName=INDEX_STORIES,
                KeyConditionExpression="story_pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"{survey}#{staff}#{shard}"}},
                ScanIndexForward=False,
                Limit=limit,
            )
            latest.extend(itertools.islice((item for item in found if not self._expired(item)), limit))
        latest.sort(key=lambda item: item["story_sk"]["S"], reverse=True)
        latest = latest[:limit]
        cores = self._batch_get("read stories", [(item["pk"]["S"], RESPONSE_SK) for item in latest])
        return [
            self._assemble(cores[(item["pk"]["S"], RESPONSE_SK)], item)
            for item in latest
            if (item["pk"]["S"], RESPONSE_SK) in cores
        ]

    def followups(self, survey: str, include_done: bool = False) -> list[dict[str, Any]]:
        states = ("open", "done") if include_done else ("open",)
        queries = [
            self._query(
                "read follow-ups",
                IndexName=INDEX_FOLLOWUPS,
                KeyConditionExpression="fup_pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"{survey}#{shard}#{state}"}},
                ScanIndexForward=False,
            )
            for shard in range(self._shards(survey))
            for state in states
        ]
        cores = list(heapq.merge(*queries, key=lambda item: item["fup_sk"]["S"], reverse=True))
        wanted = [(item["pk"]["S"], PERSONAL_SK) for item in cores if item.get("personal")]
        personal = self._batch_get("read follow-ups", wanted)
        return [self._assemble(item, personal.get((item["pk"]["S"], PERSONAL_SK))) for item in cores]

    def _expired(self, personal: dict[str, Any]) -> bool:
        expires = personal.get(TTL_ATTRIBUTE)
        return expires is not None and int(expires["N"]) <= self.clock()

    def _assemble(self, core: dict[str, Any], personal: dict[str, Any] | None) -> dict[str, Any]:
        """One response dict (every field of RESPONSE_FIELDS) from its item and its personal item."""
        response: dict[str, Any] = dict.fromkeys(RESPONSE_FIELDS)
        response["promises"] = []
        response.update(_decode(core))
        if personal is not None and not self._expired(personal):
            response.update(_decode(personal))
        elif core.get("personal") and response["redacted_at"] is None and "personal_expires" in core:
            expired = datetime.fromtimestamp(int(core["personal_expires"]["N"]), UTC)
            response["redacted_at"] = expired.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return response

    # --- changes the owner makes ---------------------------------------------------------------------

    def close_followup(self, survey: str, response_id: str, done_at: str, note: str | None) -> bool:
        """True: closed now. False: no such response, no follow-up was asked for, or it was already closed."""
        while True:
            core, personal = self._items(survey, response_id)
            if core is None or not core.get("followup", {}).get("BOOL") or "done_at" in core:
                return False
            response = self._assemble(core, personal)
            pk = _response_pk(survey, response_id)
            writes: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _key(pk, RESPONSE_SK),
                        "UpdateExpression": "SET done_at = :done, fup_pk = :state",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(done_at)",
                        "ExpressionAttributeValues": {
                            ":done": {"S": done_at},
                            ":state": {"S": f"{survey}#{response['shard']}#done"},
                        },
                    }
                }
            ]
            keep_note = bool(note) and personal is not None and not self._expired(personal)
            if keep_note:
                writes.append(
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": _key(pk, PERSONAL_SK),
                            "UpdateExpression": "SET note = :note",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":note": {"S": note}},
                        }
                    }
                )
            day, location, shard = response["day"], response["location"], response["shard"]
            writes.extend(self._tally_updates(survey, day, location, shard, {"followups_done": 1}))
            reasons = self._transact("close a follow-up", writes)
            if reasons is None:
                return True
            if reasons[0] == "ConditionalCheckFailed":
                return False  # closed or deleted meanwhile
            # the personal item was redacted meanwhile: read again and close without the note

    def delete(self, survey: str, response_id: str) -> bool:
        while True:
            core, personal = self._items(survey, response_id)
            if core is None:
                return False
            response = self._assemble(core, personal)
            pk = _response_pk(survey, response_id)
            # The counters to subtract depend on done_at and flagged: delete only if they are still as read.
            condition = ["attribute_exists(pk)"]
            values: dict[str, Any] = {}
            for name in ("done_at", "flagged"):
                if name in core:
                    condition.append(f"{name} = :{name}")
                    values[f":{name}"] = core[name]
                else:
                    condition.append(f"attribute_not_exists({name})")
            delete_core: dict[str, Any] = {
                "TableName": self.table,
                "Key": _key(pk, RESPONSE_SK),
                "ConditionExpression": " AND ".join(condition),
            }
            if values:
                delete_core["ExpressionAttributeValues"] = values
            writes = [{"Delete": delete_core}]
            if personal is not None:
                writes.append({"Delete": {"TableName": self.table, "Key": _key(pk, PERSONAL_SK)}})
            outbox = _key(_outbox_pk(survey, response["shard"]), response_id)
            writes.append({"Delete": {"TableName": self.table, "Key": outbox}})
            minus = tally.negate(tally.increments(response))
            writes.extend(
                self._tally_updates(survey, response["day"], response["location"], response["shard"], minus)
            )
            if self._transact("delete a response", writes) is None:
                return True
            # changed or deleted meanwhile: read again

    def redact(self, survey: str, before_day: str, redacted_at: str) -> int:
        """Delete the personal items of responses received before that day (the retention index holds only
        personal items still present, so the cost follows what is left to redact, not the history)."""
        redacted = 0
        for shard in range(self._shards(survey)):
            found = self._query(
                "redact responses",
                IndexName=INDEX_RETENTION,
                KeyConditionExpression="keep_pk = :pk AND keep_sk < :before",
                ExpressionAttributeValues={":pk": {"S": f"{survey}#{shard}"}, ":before": {"S": before_day}},
            )
            for item in found:
                pk = item["pk"]["S"]
                writes = [
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": _key(pk, PERSONAL_SK),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": _key(pk, RESPONSE_SK),
                            "UpdateExpression": "SET redacted_at = :at",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":at": {"S": redacted_at}},
                        }
                    },
                ]
                if self._transact("redact a response", writes) is None:
                    redacted += 1
        return redacted

    def replace_tallies(
        self, survey: str, since: str, until: str, counts: dict[tuple[str, str, int], dict[str, int]]
    ) -> None:
        """Overwrite the range's tally items with the recount. Not one transaction (a range can hold more than
        100 items): run it while no answers arrive for that range, as `wowcard verify --repair` says."""
        for day, _location, _shard in counts:
            if not since <= day <= until:
                raise ValueError(f"recount for {day} is outside {since}..{until}")
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for (day, location, shard), fields in counts.items():
            fields = {name: n for name, n in fields.items() if n}
            if fields:
                key = _key(f"TALLY#{survey}#{shard}", f"{day}#{location}")
                item = {**key, **{name: {"N": str(n)} for name, n in fields.items()}}
                wanted[(key["pk"]["S"], key["sk"]["S"])] = item
        shards = set(range(self._shards(survey))) | {shard for _, _, shard in counts}
        stale: list[tuple[str, str]] = []
        for shard in sorted(shards):
            for item in self._tally_items(survey, shard, since, until, ProjectionExpression="pk, sk"):
                key = (item["pk"]["S"], item["sk"]["S"])
                if key not in wanted:
                    stale.append(key)
        requests = [{"DeleteRequest": {"Key": _key(pk, sk)}} for pk, sk in stale]
        requests += [{"PutRequest": {"Item": item}} for item in wanted.values()]
        self._batch_write("replace tallies", requests)

    # --- the alert outbox ----------------------------------------------------------------------------

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
                    ":pk": {"S": _outbox_pk(survey, shard)},
                    ":pending": {"S": ALERT_PENDING},
                    ":now": {"N": _number(now)},
                },
                ConsistentRead=True,
            )
            due.extend(_alert(survey, item) for item in found)
        due.sort(key=lambda alert: (alert.due, alert.response_id))
        return due[: max(limit, 0)]

    def claim_alert(self, alert: Alert, now: float, lease_seconds: float) -> Alert | None:
        lease = uuid.uuid4().hex
        try:
            found = self._call(
                "claim an alert",
                "update_item",
                TableName=self.table,
                Key=_key(_outbox_pk(alert.survey, alert.shard), alert.response_id),
                UpdateExpression="SET lease = :lease, lease_until = :until",
                ConditionExpression="attribute_exists(pk) AND #state = :pending AND due <= :now "
                "AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":lease": {"S": lease},
                    ":until": {"N": _number(now + lease_seconds)},
                    ":pending": {"S": ALERT_PENDING},
                    ":now": {"N": _number(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except StoreError as exc:
            if _is_condition_failure(exc):
                return None  # another sender holds it, or it was sent or deleted meanwhile
            raise
        return _alert(alert.survey, found["Attributes"])

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
            values[":due"] = {"N": _number(retry_at)}
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
        key = _key(_outbox_pk(alert.survey, alert.shard), alert.response_id)
        try:
            self._call(what, method, TableName=self.table, Key=key, **params)
        except StoreError as exc:
            if _is_condition_failure(exc):
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
                ":now": {"N": _number(now)},
                ":expires": {"N": str(int(now + HELD_KEEP_SECONDS))},
            },
        )

    def alerts(self, survey: str) -> list[Alert]:
        found = [
            _alert(survey, item)
            for shard in range(self._shards(survey))
            for item in self._query(
                "read alerts",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": _outbox_pk(survey, shard)}},
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
                    ":now": {"N": _number(now)},
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
                    "Item": {**_key(f"SURVEY#{survey}", f"DIGEST#{week}"), "claimed_at": {"N": _number(now)}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if queue:
            item = {
                **_key(_outbox_pk(survey, 0), DIGEST_PREFIX + week),
                "shard": {"N": "0"},
                "reasons": {"L": [{"S": "digest"}]},
                "received_at": {"S": iso_time(now)},
                "state": {"S": ALERT_PENDING},
                "due": {"N": _number(now)},
                "since": {"N": _number(now)},
                "attempts": {"N": "0"},
            }
            writes.append({"Put": {"TableName": self.table, "Item": item}})
        return self._transact("claim the weekly digest", writes) is None

    # --- fair recognition ----------------------------------------------------------------------------

    def fairness_salt(self, survey: str) -> bytes:
        pk = f"SURVEY#{survey}"
        item = self._get_item("read the fairness salt", pk, SALT_SK)
        if item is None:
            salt = {**_key(pk, SALT_SK), "salt": {"B": fairness.new_salt()}}
            try:
                self._call(
                    "make the fairness salt",
                    "put_item",
                    TableName=self.table,
                    Item=salt,
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except StoreError as exc:
                if not _is_condition_failure(exc):
                    raise
            item = self._get_item("read the fairness salt", pk, SALT_SK)
        if item is None:
            raise StoreError(f"DynamoDB table {self.table} lost the fairness salt of survey {survey}")
        return bytes(item["salt"]["B"])


def _outbox_pk(survey: str, shard: int) -> str:
    return f"OUTBOX#{survey}#{shard}"


def _number(value: float) -> str:
    return f"{value:.3f}"


def _alert(survey: str, item: dict[str, Any]) -> Alert:
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


def _is_condition_failure(exc: StoreError) -> bool:
    return _code(exc.__cause__) == "ConditionalCheckFailedException"


class _Unprocessed(Exception):
    """DynamoDB accepted part of a batch: the rest is retried with backoff like a throttled request."""


def _code(exc: Any) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _reasons(exc: Any) -> list[str]:
    """The per-item cancellation codes of a TransactionCanceledException ("None" for items that were fine)."""
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return [reason.get("Code", "None") for reason in reasons]
    found = re.search(r"\[([^\]]*)\]", exc.response.get("Error", {}).get("Message", ""))
    return [code.strip() for code in found.group(1).split(",")] if found else []


def _transient(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, (_Unprocessed, ConnectionError, HTTPClientError)):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = _code(exc)
    if code == "TransactionCanceledException":
        reasons = _reasons(exc)
        return "ConditionalCheckFailed" not in reasons and any(r in RETRYABLE_REASONS for r in reasons)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRYABLE_ERRORS or status >= 500


def _response_pk(survey: str, response_id: str) -> str:
    return f"RESP#{survey}#{response_id}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _attribute(value) for name, value in values.items()}


def _attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [_attribute(v) for v in value]}
    if isinstance(value, dict):
        return {"M": _encode(value)}
    if value is None:
        return {"NULL": True}
    raise StoreError(f"cannot store a {type(value).__name__} in DynamoDB")


def _decode(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(value) for name, value in item.items() if name not in INTERNAL}


def _value(attribute: dict[str, Any]) -> Any:
    ((kind, value),) = attribute.items()
    if kind == "N":
        return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
    if kind == "L":
        return [_value(v) for v in value]
    if kind == "M":
        return _decode(value)
    if kind == "NULL":
        return None
    return value  # S, BOOL
