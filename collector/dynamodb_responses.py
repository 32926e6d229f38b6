"""Responses and tallies in DynamoDB: the put transaction, the reads, and the owner's changes."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from . import tally
from .dynamodb_definitions import DynamoDefinitions
from .dynamodb_fairness import recognition_update
from .dynamodb_outbox import alert_item
from .dynamodb_table import (
    INDEX_BY_DAY,
    INDEX_FOLLOWUPS,
    INDEX_RETENTION,
    INDEX_STORIES,
    LAST,
    PERSONAL_SK,
    RESPONSE_SK,
    TTL_ATTRIBUTE,
    decode,
    encode,
    item_key,
    outbox_pk,
    response_pk,
    tally_pk,
)
from .store import (
    PERSONAL_FIELDS,
    RESPONSE_FIELDS,
    Record,
    StoreError,
    TallyRow,
    check_fields,
    check_recount,
    iso_time,
)


class DynamoResponses(DynamoDefinitions):
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
        check_fields(response)
        survey, rid, shard = record.survey, record.id, record.shard
        pk = response_pk(survey, rid)
        day_sk = f"{record.day}#{response['received_at']}#{rid}"
        core = {
            name: value
            for name, value in response.items()
            if name not in PERSONAL_FIELDS and value is not None
        }
        item = {**item_key(pk, RESPONSE_SK), **encode(core), "day_pk": {"S": f"{survey}#{shard}"}}
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
            private = {**item_key(pk, PERSONAL_SK), **encode(personal), "day_pk": item["day_pk"]}
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
                "Key": item_key(response_pk(survey, alias), RESPONSE_SK),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if record.aliases_since is not None:  # an alias stored outside the window is another answer
                check["ConditionExpression"] = (
                    "attribute_not_exists(pk) OR received_at < :since OR received_at > :until"
                )
                check["ExpressionAttributeValues"] = {
                    ":since": {"S": record.aliases_since},
                    ":until": {"S": record.aliases_until or "~"},
                }
            writes.append({"ConditionCheck": check})
        writes.extend(self._tally_updates(survey, record.day, record.location, shard, record.increments))
        if record.alert:
            writes.append({"Put": {"TableName": self.table, "Item": alert_item(record.pending_alert())}})
        for i, (counter, limit) in enumerate(record.counters()):  # last: put() finds them there
            condition = None if over is None else (i == over)
            writes.append(recognition_update(self.table, record, counter, limit, condition))
        return writes

    def _expires(self, response: dict[str, Any]) -> int | None:
        """When DynamoDB may delete the personal item: receive time + the definition's retention_days."""
        definition = self.definition(response["survey"], response.get("version"))
        if not definition or not definition.get("retention_days"):
            return None
        received = datetime.fromisoformat(response["received_at"]).timestamp()
        return int(received) + int(definition["retention_days"]) * 86400

    # --- reading -------------------------------------------------------------------------------------

    def responses(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """K Queries of the by_day index merged lazily: constant memory, whatever the range."""
        shards = [
            self._days("read responses", INDEX_BY_DAY, "day", f"{survey}#{shard}", since, until)
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

    def texts(self, survey: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        """The retention index, then BatchGetItem (store_dynamodb.py)."""
        keys = [
            (item["pk"]["S"], PERSONAL_SK)
            for shard in range(self._shards(survey))
            for item in self._days("read texts", INDEX_RETENTION, "keep", f"{survey}#{shard}", since, until)
        ]
        written = [
            item
            for item in self._batch_get("read texts", keys).values()
            if not self._expired(item) and ("what" in item or "comment" in item)
        ]
        cores = self._batch_get("read texts", [(item["pk"]["S"], RESPONSE_SK) for item in written])
        found = [
            self._assemble(cores[(item["pk"]["S"], RESPONSE_SK)], item)
            for item in written
            if (item["pk"]["S"], RESPONSE_SK) in cores  # deleted meanwhile
        ]
        return iter(sorted(found, key=lambda r: (r["day"], r["received_at"], r["id"])))

    def _days(
        self, what: str, index: str, key: str, pk: str, since: str, until: str
    ) -> Iterator[dict[str, Any]]:
        """Days since..until of partition `pk` of an index keyed `<key>_pk`, `<key>_sk` (day first)."""
        return self._query(
            what,
            IndexName=index,
            KeyConditionExpression=f"{key}_pk = :pk AND {key}_sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": pk},
                ":lo": {"S": f"{since}#"},
                ":hi": {"S": f"{until}#{LAST}"},
            },
        )

    def get(self, survey: str, response_id: str) -> dict[str, Any] | None:
        core, personal = self._items(survey, response_id)
        return self._assemble(core, personal) if core else None

    def _items(self, survey: str, response_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        found = {
            item["sk"]["S"]: item
            for item in self._query(
                "read a response",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": response_pk(survey, response_id)}},
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

    def _assemble(self, core: dict[str, Any], personal: dict[str, Any] | None) -> dict[str, Any]:
        """One response dict (every field of RESPONSE_FIELDS) from its item and its personal item."""
        response: dict[str, Any] = dict.fromkeys(RESPONSE_FIELDS)
        response["promises"] = []
        response.update(decode(core))
        if personal is not None and not self._expired(personal):
            response.update(decode(personal))
        elif core.get("personal") and response["redacted_at"] is None and "personal_expires" in core:
            response["redacted_at"] = iso_time(int(core["personal_expires"]["N"]))
        return response

    # --- changes the owner makes ---------------------------------------------------------------------

    def close_followup(self, survey: str, response_id: str, done_at: str, note: str | None) -> bool:
        """True: closed now. False: no such response, no follow-up was asked for, or it was already closed."""
        while True:
            core, personal = self._items(survey, response_id)
            if core is None or not core.get("followup", {}).get("BOOL") or "done_at" in core:
                return False
            response = self._assemble(core, personal)
            pk = response_pk(survey, response_id)
            writes: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": item_key(pk, RESPONSE_SK),
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
                            "Key": item_key(pk, PERSONAL_SK),
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
            pk = response_pk(survey, response_id)
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
                "Key": item_key(pk, RESPONSE_SK),
                "ConditionExpression": " AND ".join(condition),
            }
            if values:
                delete_core["ExpressionAttributeValues"] = values
            writes = [{"Delete": delete_core}]
            if personal is not None:
                writes.append({"Delete": {"TableName": self.table, "Key": item_key(pk, PERSONAL_SK)}})
            outbox = item_key(outbox_pk(survey, response["shard"]), response_id)
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
                            "Key": item_key(pk, PERSONAL_SK),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": item_key(pk, RESPONSE_SK),
                            "UpdateExpression": "SET redacted_at = :at",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":at": {"S": redacted_at}},
                        }
                    },
                ]
                if self._transact("redact a response", writes) is None:
                    redacted += 1
        return redacted

    # --- tallies ---------------------------------------------------------------------------------------

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
            "Key": item_key(tally_pk(survey, shard), f"{day}#{location}"),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        return [{"Update": update}]

    def _tally_items(
        self, survey: str, shard: int, since: str, until: str, **extra: Any
    ) -> Iterator[dict[str, Any]]:
        """The tally items of one shard for days since..until: one Query, whatever the number of days."""
        return self._query(
            "read tallies",
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": tally_pk(survey, shard)},
                ":lo": {"S": f"{since}#"},
                ":hi": {"S": f"{until}#{LAST}"},
            },
            ConsistentRead=True,
            **extra,
        )

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

    def replace_tallies(
        self, survey: str, since: str, until: str, counts: dict[tuple[str, str, int], dict[str, int]]
    ) -> None:
        """Overwrite the range's tally items with the recount. Not one transaction (a range can hold more than
        100 items): run it while no answers arrive for that range, as `wowcard verify --repair` says."""
        check_recount(since, until, counts)
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for (day, location, shard), fields in counts.items():
            fields = {name: n for name, n in fields.items() if n}
            if fields:
                key = item_key(tally_pk(survey, shard), f"{day}#{location}")
                item = {**key, **{name: {"N": str(n)} for name, n in fields.items()}}
                wanted[(key["pk"]["S"], key["sk"]["S"])] = item
        shards = set(range(self._shards(survey))) | {shard for _, _, shard in counts}
        stale: list[tuple[str, str]] = []
        for shard in sorted(shards):
            for existing in self._tally_items(survey, shard, since, until, ProjectionExpression="pk, sk"):
                pk_sk = (existing["pk"]["S"], existing["sk"]["S"])
                if pk_sk not in wanted:
                    stale.append(pk_sk)
        requests = [{"DeleteRequest": {"Key": item_key(pk, sk)}} for pk, sk in stale]
        requests += [{"PutRequest": {"Item": item}} for item in wanted.values()]
        self._batch_write("replace tallies", requests)
