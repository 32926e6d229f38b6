"""The WAF stack of a stage with `[limits] waf = true`: a web ACL for its CloudFront distribution. A web ACL
of scope CLOUDFRONT can only be created in us-east-1, so it is its own stack there, whatever the stage's
region; the app stack receives its ARN as the WebAclArn parameter."""

from __future__ import annotations

from typing import Any

from .aws_templates import API_STAGE, Names, combine, get_att, ref

WAF_REGION = "us-east-1"
# Requests to /api/* from one client address in any 5 minutes before WAF blocks it (pages are not counted).
WAF_RATE_LIMIT = 100


def waf_template(names: Names) -> dict[str, Any]:
    """A web ACL for the stage's CloudFront distribution: allow by default, block a client address that sends
    more than WAF_RATE_LIMIT API requests in 5 minutes (pages, cached at the edge, are not counted)."""
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}
    api_only = {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "STARTS_WITH",
            "SearchString": f"/{API_STAGE}/",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    rule = {
        "Name": "api-requests-per-client",
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": {
            "RateBasedStatement": {
                "Limit": WAF_RATE_LIMIT,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": api_only,
            }
        },
        "VisibilityConfig": {**visibility, "MetricName": "wowcardApiRate"},
    }
    return combine(
        {"Description": f"wowcard survey {names.survey}, stage {names.stage}: WAF web ACL for CloudFront"},
        {
            "Resources": {
                "WebAcl": {
                    "Type": "AWS::WAFv2::WebACL",
                    "Properties": {
                        "Name": ref("AWS::StackName"),
                        "Scope": "CLOUDFRONT",
                        "DefaultAction": {"Allow": {}},
                        "Rules": [rule],
                        "VisibilityConfig": {**visibility, "MetricName": "wowcardWebAcl"},
                    },
                }
            },
            "Outputs": {"WebAclArn": {"Value": get_att("WebAcl", "Arn")}},
        },
    )
