"""Survey definitions in DynamoDB: publish, read one (cached: a version never changes) or all."""

from __future__ import annotations

import json
import time
from typing import Any

from .dynamodb_table import LATEST_SK, DynamoTable, item_key, survey_pk
from .store import iso_time


class DynamoDefinitions(DynamoTable):
    def publish(self, definition: dict[str, Any]) -> bool:
        survey, version = definition["survey"], definition["version"]
        body = json.dumps(definition, sort_keys=True, ensure_ascii=False)
        latest = self._latest(survey)
        pk = survey_pk(survey)
        new_latest = self._latest_item(pk, version, body, definition, latest)
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **item_key(pk, f"DEF#{version}"),
                        "body": {"S": body},
                        "published_at": {"S": iso_time(time.time())},
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
            **item_key(pk, LATEST_SK),
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
            item = self._get_item("read a survey definition", survey_pk(survey), f"DEF#{version}")
            if item is None:
                return None
            cached = self._definitions.setdefault((survey, version), json.loads(item["body"]["S"]))
        return json.loads(json.dumps(cached))  # callers may change their copy; versions never change

    def definitions(self, survey: str) -> list[dict[str, Any]]:
        items = list(
            self._query(
                "read the survey definitions",
                KeyConditionExpression="pk = :pk AND begins_with(sk, :def)",
                ExpressionAttributeValues={":pk": {"S": survey_pk(survey)}, ":def": {"S": "DEF#"}},
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
