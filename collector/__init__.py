"""wowcard.collector: what runs in the Lambda (and inside `wowcard serve`).

Standard library + boto3 only: the survey model, response validation, tallies and the two store engines.
It never imports click, jinja2 or anything of the CLI.
"""
