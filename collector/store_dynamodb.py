"""The production store: one DynamoDB table (on demand), keeping the Store contract of store.py exactly like
the SQLite engine. boto3 is imported and the client made on first use, never at import (cold starts).

`DynamoStore` is made of one part per job, the dynamodb_*.py modules; this is the one description of the
layout they share.

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

from .dynamodb_fairness import DynamoFairness
from .dynamodb_outbox import DynamoOutbox
from .dynamodb_responses import DynamoResponses

# What other modules and tests import from here:
from .dynamodb_table import INDEX_BY_DAY as INDEX_BY_DAY
from .dynamodb_table import TTL_ATTRIBUTE as TTL_ATTRIBUTE
from .dynamodb_table import create_table as create_table
from .dynamodb_table import make_client as make_client
from .dynamodb_table import response_pk as _response_pk  # noqa: F401 (its name before the split)
from .dynamodb_table import table_definition as table_definition


class DynamoStore(DynamoResponses, DynamoOutbox, DynamoFairness):
    """The Store contract on one DynamoDB table. Thread-safe; the client is made on first use."""

    def __repr__(self) -> str:
        return f"DynamoStore({self.table!r})"
