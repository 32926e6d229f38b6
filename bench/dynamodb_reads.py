"""DynamoDB items read by a report against the naive alternatives, on moto (in-process, so small data only:
moto copies the table on every transaction, see DESIGN.md): a report's tallies (one Query per shard) against
a raw recount of the responses (the by_day index) and a full table Scan; and a report's texts (the retention
index, then the personal items and the responses of those with words) against the period's responses.
DynamoDB bills reads by items, so the counts are the cost.

    .venv/bin/python bench/dynamodb_reads.py [--responses 300] [--days 10]

Every put goes through the DynamoDB store's own TransactWriteItems, exactly as the collector writes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import FIRST_DAY, definition  # noqa: E402  (bench/report.py, beside this file)
from store_write import SURVEY, records  # noqa: E402  (bench/store_write.py)

REGION = "eu-west-2"
TABLE = "wowcard-bench"


class CountingClient:
    """A real (moto) DynamoDB client that adds up the items each read returned and scanned."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: dict[str, int] = {}
        self.returned = 0
        self.scanned = 0

    def reset(self) -> None:
        self.calls, self.returned, self.scanned = {}, 0, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)
        if name not in ("query", "scan", "get_item", "batch_get_item"):
            return method

        def counted(**params: Any) -> Any:
            page = method(**params)
            self.calls[name] = self.calls.get(name, 0) + 1
            if name in ("query", "scan"):
                self.returned += page.get("Count", 0)
                self.scanned += page.get("ScannedCount", page.get("Count", 0))
            elif name == "get_item":
                self.returned += 1 if "Item" in page else 0
                self.scanned += 1 if "Item" in page else 0
            else:
                found = sum(len(items) for items in page.get("Responses", {}).values())
                self.returned += found
                self.scanned += found
            return page

        return counted


@dataclass
class Reads:
    responses: int
    days: int
    table_items: int
    report_items: int  # tally items a report reads (Query per shard)
    report_queries: int
    recount_items: int  # a raw recount of the same days (by_day index Query per shard)
    texts: int  # responses with a story or comment in those days
    texts_items: int  # what reading them costs (retention index Query per shard, then BatchGetItem)
    scan_items: int  # a full Scan of the table
    load_seconds: float


def measure(responses: int = 300, days: int = 10) -> Reads:
    """Store `responses` answers over `days` days in moto, then count what each way of reporting reads."""
    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    kept = {name: os.environ.get(name) for name in (*fake, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(fake)  # moto only: never a real account
    try:
        return _measure(responses, days)
    finally:
        for name, value in kept.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _measure(responses: int, days: int) -> Reads:
    import boto3
    from moto import mock_aws

    from wowcard.collector.store_dynamodb import DynamoStore, create_table

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, TABLE)
        counting = CountingClient(client)
        # The answers are from FIRST_DAY on: a wall clock pinned just after them keeps their words within
        # the survey's retention (readers treat a personal item past it as gone).
        after = datetime.combine(FIRST_DAY + timedelta(days=days), datetime.min.time(), UTC).timestamp()
        store = DynamoStore(TABLE, region=REGION, client=counting, clock=lambda: after)
        store.publish(definition().to_json())  # bench/report.py's "bench" survey, 4 shards
        started = time.perf_counter()
        for record in records(responses, days):
            store.put(record)
        load_seconds = time.perf_counter() - started
        since = FIRST_DAY
        until = (since + timedelta(days=days - 1)).isoformat()
        counting.reset()
        store.tallies(SURVEY, since.isoformat(), until)
        report_items, report_queries = counting.scanned, counting.calls.get("query", 0)
        counting.reset()
        recounted = sum(1 for _ in store.responses(SURVEY, since.isoformat(), until))
        recount_items = counting.scanned
        assert recounted == responses, (recounted, responses)
        counting.reset()
        texts = sum(1 for _ in store.texts(SURVEY, since.isoformat(), until))
        texts_items = counting.scanned
        counting.reset()
        pages: dict[str, Any] = {"TableName": TABLE}
        while True:
            page = counting.scan(**pages)
            if "LastEvaluatedKey" not in page:
                break
            pages["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        scan_items = counting.scanned
        table_items = client.scan(TableName=TABLE, Select="COUNT")["Count"]
    return Reads(responses, days, table_items, report_items, report_queries, recount_items, texts,
                 texts_items, scan_items, load_seconds)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=300)
    parser.add_argument("--days", type=int, default=10)
    args = parser.parse_args()
    reads = measure(args.responses, args.days)
    print(
        f"moto DynamoDB: {reads.responses} responses over {reads.days} days stored in "
        f"{reads.load_seconds:.1f} s ({reads.table_items} items in the table)"
    )
    print(f"  report (tallies, {reads.report_queries} Queries): {reads.report_items} items read")
    print(f"  raw recount (by_day index Queries): {reads.recount_items} items read")
    print(
        f"  the texts ({reads.texts} responses with a story or comment): {reads.texts_items} items read "
        f"(reading every response for them: {reads.recount_items})"
    )
    print(f"  full table Scan: {reads.scan_items} items read")
    print(f"  the report reads {reads.scan_items / max(reads.report_items, 1):.1f}x fewer items than a Scan")


if __name__ == "__main__":
    main()
