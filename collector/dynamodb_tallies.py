"""Tallies in DynamoDB: the ADD Update a put or a change adds to its transaction, and the reads reports make
(one Query per shard for any date range), and the recount `wowcard verify --repair` writes back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import tally
from .dynamodb_client import DynamoTable
from .dynamodb_table import LAST, item_key, tally_pk
from .store import TallyRow, check_recount


class DynamoTallies(DynamoTable):
    """The tallies part of DynamoStore."""

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
            for item in self._tally_items(survey, shard, since, until, ProjectionExpression="pk, sk"):
                key = (item["pk"]["S"], item["sk"]["S"])
                if key not in wanted:
                    stale.append(key)
        requests = [{"DeleteRequest": {"Key": item_key(pk, sk)}} for pk, sk in stale]
        requests += [{"PutRequest": {"Item": item}} for item in wanted.values()]
        self._batch_write("replace tallies", requests)
