"""wowcard: the owner's tool. Click commands over a library that renders pages, serves, reports and deploys.

The Lambda side lives in `wowcard.collector` (standard library + boto3 only); this package may import it,
never the other way round.
"""

__version__ = "0.1.0"
