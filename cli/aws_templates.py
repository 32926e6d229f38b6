"""CloudFormation for wowcard on AWS: the names and limits every stack shares, and the app stack's merge
template (one per stage), which Chalice's packager merges into its own SAM template for the collector. The
data stack is in `aws_data_stack`, the WAF stack in `aws_waf_stack`.

The app stack holds what a redeploy may replace: Chalice's REGIONAL API and Lambda, the collector's least-
privilege role, the private pages bucket, and one CloudFront distribution that serves the pages at `/` and the
API at `/api/*` (one origin: the page needs no CORS, and `crypto.randomUUID` has its secure context). The API
has exactly one stage, `api`, throttled and access-logged (30 days), and answers only requests carrying the
origin secret CloudFront adds (collector/origin.py; the secret is a NoEcho parameter, kept in SSM by `wowcard
deploy`). With `[limits] waf = true` the distribution uses a WAF web ACL with a per-client rate-based rule,
from its own stack in us-east-1 (`aws_waf_stack`: CloudFront's web ACLs must live there). It also
holds the alert sender: Chalice's scheduled function `send_alerts` (every minute) with its own role, which may
read and settle the outbox and, when the survey has `[alerts]`, read the one SSM SecureString parameter that
holds the webhook URL (the template names the parameter, never its value); without `[alerts]` its schedule
is disabled.

Every resource group is one function returning a partial template; `combine()` joins them and refuses a name
used twice, so a later feature adds a group without touching the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STAGE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
RESERVED_STAGES = frozenset({"data"})
DEFAULT_STAGE = "prod"
APP_NAME = "wowcard"
# Chalice's API Gateway stage: `/api/s/{survey}/responses` at CloudFront reaches the route with no rewriting.
API_STAGE = "api"
# Setting it in SAM's Globals stops SAM adding a second, unthrottled stage named "Stage".
OPENAPI_VERSION = "3.0.1"
# The header CloudFront adds to every API request (collector/origin.py checks it).
ORIGIN_HEADER = "x-wowcard-origin"
# One line per API request: who called what and what they got; nothing from the body or headers.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","time":"$context.requestTime","ip":"$context.identity.sourceIp",'
    '"method":"$context.httpMethod","path":"$context.path","status":"$context.status",'
    '"bytes":"$context.responseLength","latencyMs":"$context.responseLatency"}'
)
# Names Chalice gives the resources it generates (checked after packaging by `package.check_merged`).
CHALICE_FUNCTION = "APIHandler"
CHALICE_ROLE = "ApiHandlerRole"
CHALICE_API = "RestAPI"

# AWS-managed CloudFront policies (ids are the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]

# What the collector's store calls in the Lambda: reading a published definition (GetItem) and one
# TransactWriteItems per answer, whose Put / Update / ConditionCheck parts IAM checks as PutItem /
# UpdateItem / ConditionCheckItem. Reports, exports, publishing and verify run on the owner's machine with
# the owner's credentials, not through this role. tests/deploy proves the list covers every call that
# collecting an answer makes.
COLLECTOR_TABLE_ACTIONS = (
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
# What the alert sender calls: Query the outbox shards and read a response (Query on its key), read the
# survey's definition (GetItem), claim and reschedule an alert (UpdateItem), delete it once sent (DeleteItem),
# claim a week's digest (PutItem, in a transaction). The digest also Queries two indexes: the week's texts
# (retention, then BatchGetItem of their items) and the open follow-ups (followups, then BatchGetItem of
# their contacts). tests/alerts proves the lists cover every call a sweep makes.
ALERTS_TABLE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
DIGEST_INDEXES = ("followups", "retention")
# Chalice's name for the scheduled handler (collector/app.py) and the resources it generates for it.
ALERTS_HANDLER = "send_alerts"
CHALICE_ALERTS_FUNCTION = "SendAlerts"
CHALICE_ALERTS_ROLE = "SendAlertsRole"
CHALICE_ALERTS_EVENT = "SendAlertsEvent"
ALERTS_POLICY_FILE = "alerts-policy.json"
ALERTS_TIMEOUT_SECONDS = 60  # one sweep: up to ~50 alerts at a few hundred ms each, or a few slow webhooks


class StageError(ValueError):
    """A stage name that cannot name stacks."""


@dataclass(frozen=True, slots=True)
class Names:
    """Every AWS name derived from the survey id and stage. Stage names have no hyphen and `data` is reserved,
    so `wowcard-<survey>-<stage>` can never be another survey's stack."""

    survey: str
    stage: str = DEFAULT_STAGE

    def __post_init__(self) -> None:
        if not STAGE.match(self.stage) or self.stage in RESERVED_STAGES:
            raise StageError(
                f'stage "{self.stage}" is not allowed: use 1-12 lowercase letters and digits, starting '
                f"with a letter (not {', '.join(sorted(RESERVED_STAGES))})"
            )

    @property
    def data_stack(self) -> str:
        return f"wowcard-{self.survey}-data"

    @property
    def app_stack(self) -> str:
        return f"wowcard-{self.survey}-{self.stage}"

    @property
    def table(self) -> str:
        return f"wowcard-{self.survey}"

    @property
    def function(self) -> str:
        return f"wowcard-{self.survey}-{self.stage}"

    @property
    def budget(self) -> str:
        return f"wowcard-{self.survey}-{self.stage}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function}"

    @property
    def alerts_function(self) -> str:
        """The alert sender's Lambda: the collector's name + "-alerts", shortened by a hash past 64."""
        name = f"{self.function}-alerts"
        if len(name) <= 64:
            return name
        digest = hashlib.sha256(f"{self.survey}/{self.stage}".encode()).hexdigest()[:10]
        return f"wowcard-{self.survey[:26]}-{digest}-{self.stage}-a"[:64]

    @property
    def alerts_log_group(self) -> str:
        return f"/aws/lambda/{self.alerts_function}"

    @property
    def webhook_parameter(self) -> str:
        """The SSM SecureString parameter holding the webhook URL (`wowcard deploy` writes it)."""
        return f"/wowcard/{self.survey}/{self.stage}/alerts-webhook"

    @property
    def origin_parameter(self) -> str:
        """The SSM SecureString parameter listing the origin secrets (`wowcard deploy` writes it)."""
        return f"/wowcard/{self.survey}/{self.stage}/origin-secret"

    @property
    def access_log_group(self) -> str:
        return f"/aws/apigateway/wowcard-{self.survey}-{self.stage}"

    @property
    def waf_stack(self) -> str:
        """The web ACL's stack, in us-east-1 whatever the stage's region."""
        return f"wowcard-{self.survey}-{self.stage}-waf"


@dataclass(frozen=True, slots=True)
class Limits:
    """What caps the bill and sizes the Lambda. At 5 requests/s sustained the API answers at most ~13 million
    requests a month; a reserved concurrency (opt-in) also caps the Lambdas running at once."""

    memory_mb: int = 256
    timeout_seconds: int = 10
    # None (the default): no reservation. Lambda keeps 100 of the account's concurrency unreserved, and a new
    # account's quota may be 10 in all, so any reservation would fail its first deploy.
    reserved_concurrency: int | None = None
    throttle_rate: float = 5.0
    throttle_burst: int = 20
    log_retention_days: int = 30
    budget_usd: int = 10


def combine(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """Join partial templates section by section; a logical name defined twice is a bug, not an override."""
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    for part in parts:
        for section, entries in part.items():
            if section in ("AWSTemplateFormatVersion", "Description", "Transform"):
                template[section] = entries
                continue
            target = template.setdefault(section, {})
            for name, value in entries.items():
                if name in target:
                    raise ValueError(f"{section}.{name} is defined twice")
                target[name] = value
    return template


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_att(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


# --- shared by the stacks ----------------------------------------------------------------------------------


def private_bucket_properties() -> dict[str, Any]:
    return {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }


# --- the app stack (merged into Chalice's SAM template) -----------------------------------------------------


def app_merge_template(names: Names, limits: Limits, alerts: bool = False) -> dict[str, Any]:
    return combine(
        {"Description": f"wowcard survey {names.survey}, stage {names.stage}: pages, API and collector"},
        parameters(names, limits),
        collector_role(names),
        collector_function(names, limits),
        alerts_resources(names, limits, alerts),
        api_stage(names, limits),
        pages_bucket(),
        distribution(names),
        budget(names),
        app_outputs(),
    )


def parameters(names: Names, limits: Limits) -> dict[str, Any]:
    return {
        "Parameters": {
            "TableName": {
                "Type": "String",
                "Default": names.table,
                "AllowedPattern": "[A-Za-z0-9_.-]{3,255}",
                "Description": "The responses table (an output of the data stack)",
            },
            "BudgetEmail": {
                "Type": "String",
                "Default": "",
                "AllowedPattern": "^$|^[^@\\s]+@[^@\\s]+$",
                "Description": "Where AWS Budgets sends its alerts; empty: no budget",
            },
            "BudgetAmount": {
                "Type": "Number",
                "Default": limits.budget_usd,
                "MinValue": 1,
                "Description": "Monthly budget in USD for the whole account",
            },
            "OriginSecret": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 16,
                "AllowedPattern": "[A-Za-z0-9_-]+",
                "Description": f"What CloudFront sends in {ORIGIN_HEADER} (`wowcard deploy` keeps it in SSM "
                f"{names.origin_parameter})",
            },
            "WebAclArn": {
                "Type": "String",
                "Default": "",
                "Description": "The distribution's WAF web ACL (its us-east-1 stack's output); empty: none",
            },
        },
        "Conditions": {
            "HasBudget": {"Fn::Not": [{"Fn::Equals": [ref("BudgetEmail"), ""]}]},
            "HasWaf": {"Fn::Not": [{"Fn::Equals": [ref("WebAclArn"), ""]}]},
        },
    }


def table_arn() -> dict[str, str]:
    return sub("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}")


def collector_policy(names: Names) -> dict[str, Any]:
    """The Lambda's whole policy: named actions on named resources, no wildcard action or resource."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Responses",
            "Effect": "Allow",
            "Action": list(COLLECTOR_TABLE_ACTIONS),
            "Resource": [table_arn()],
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            # The streams of this one log group (their names are made by Lambda at run time).
            "Resource": [_log_streams(names.log_group)],
        },
        *read_parameter_statements("OriginSecret", names.origin_parameter),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def collector_role(names: Names) -> dict[str, Any]:
    # Chalice generates the role (autogen_policy off); the merge replaces its policy list with ours, which can
    # name the table through the TableName parameter.
    return {
        "Resources": {
            CHALICE_ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "collector", "PolicyDocument": collector_policy(names)}]
                }
            }
        }
    }


def collector_function(names: Names, limits: Limits) -> dict[str, Any]:
    return {
        "Resources": {
            "CollectorLogs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": names.log_group, "RetentionInDays": limits.log_retention_days},
            },
            CHALICE_FUNCTION: {
                "DependsOn": ["CollectorLogs"],
                "Properties": {
                    "FunctionName": names.function,
                    "Environment": {
                        "Variables": {
                            "WOWCARD_STORE": sub("dynamodb:${TableName}"),
                            # Pages and API share CloudFront's origin: form redirects stay relative.
                            "WOWCARD_REDIRECT_BASE": "",
                            # Where the origin secrets are, not what they are.
                            "WOWCARD_ORIGIN_SECRET": f"ssm:{names.origin_parameter}",
                        }
                    },
                },
            },
        }
    }


def _log_streams(log_group: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group}:*")


def parameter_arn(name: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{name}")


def read_parameter_statements(sid: str, name: str) -> list[dict[str, Any]]:
    """Reading one SSM SecureString parameter: GetParameter on it, and decrypting only through SSM, only for
    that parameter. SecureString parameters use the account's default key (aws/ssm), whose id differs per
    account, so the conditions, not the resource, narrow kms:Decrypt to this one parameter."""
    parameter = parameter_arn(name)
    return [
        {"Sid": sid, "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": [parameter]},
        {
            "Sid": f"Decrypt{sid}",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": sub("ssm.${AWS::Region}.amazonaws.com"),
                    "kms:EncryptionContext:PARAMETER_ARN": parameter,
                }
            },
        },
    ]


def alerts_policy(names: Names, alerts: bool) -> dict[str, Any]:
    """The alert sender's whole policy: the outbox on its table, the two indexes the weekly digest reads, its
    log group and, with [alerts], the one
    SSM parameter of the webhook and decrypting it only through SSM, only for that parameter."""
    statements: list[dict[str, Any]] = [
        {"Sid": "Outbox", "Effect": "Allow", "Action": list(ALERTS_TABLE_ACTIONS), "Resource": [table_arn()]},
        {
            "Sid": "DigestIndexes",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [sub(table_arn()["Fn::Sub"] + f"/index/{index}") for index in DIGEST_INDEXES],
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [_log_streams(names.alerts_log_group)],
        },
    ]
    if alerts:
        statements += read_parameter_statements("Webhook", names.webhook_parameter)
    return {"Version": "2012-10-17", "Statement": statements}


def alerts_resources(names: Names, limits: Limits, alerts: bool) -> dict[str, Any]:
    """The scheduled alert sender Chalice generates, given its name, environment, role and log group; its
    schedule runs only when the survey has [alerts]."""
    variables: dict[str, Any] = {
        "WOWCARD_STORE": sub("dynamodb:${TableName}"),
        "WOWCARD_ALERTS_SURVEY": names.survey,
    }
    if alerts:
        variables["WOWCARD_ALERTS_WEBHOOK"] = f"ssm:{names.webhook_parameter}"  # where it is, not what
    return {
        "Resources": {
            "AlertsLogs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": names.alerts_log_group,
                    "RetentionInDays": limits.log_retention_days,
                },
            },
            CHALICE_ALERTS_ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "alerts", "PolicyDocument": alerts_policy(names, alerts)}]
                }
            },
            CHALICE_ALERTS_FUNCTION: {
                "DependsOn": ["AlertsLogs"],
                "Properties": {
                    "FunctionName": names.alerts_function,
                    "Environment": {"Variables": variables},
                    "Events": {
                        CHALICE_ALERTS_EVENT: {"Properties": {"State": "ENABLED" if alerts else "DISABLED"}}
                    },
                },
            },
        }
    }


def api_stage(names: Names, limits: Limits) -> dict[str, Any]:
    """The API's one stage: throttled (the bill's cap) and access-logged (the evidence of abuse)."""
    return {
        "Globals": {"Api": {"OpenApiVersion": OPENAPI_VERSION}},
        "Resources": {
            "ApiAccessLogs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": names.access_log_group,
                    "RetentionInDays": limits.log_retention_days,
                },
            },
            CHALICE_API: {
                "Properties": {
                    "AccessLogSetting": {
                        "DestinationArn": get_att("ApiAccessLogs", "Arn"),
                        "Format": ACCESS_LOG_FORMAT,
                    },
                    "MethodSettings": [
                        {
                            "ResourcePath": "/*",
                            "HttpMethod": "*",
                            "ThrottlingRateLimit": limits.throttle_rate,
                            "ThrottlingBurstLimit": limits.throttle_burst,
                        }
                    ],
                }
            },
        },
    }


def pages_bucket() -> dict[str, Any]:
    distribution_arn = sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}")
    only_this_distribution = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    return {
        "Resources": {
            "PagesBucket": {"Type": "AWS::S3::Bucket", "Properties": private_bucket_properties()},
            "PagesBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": ref("PagesBucket"),
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudFrontReadsPages",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Resource": sub("${PagesBucket.Arn}/*"),
                                "Condition": only_this_distribution,
                            },
                            {
                                # Lets S3 answer 404 (not 403) for a page that does not exist.
                                "Sid": "CloudFrontSeesMissingPages",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:ListBucket",
                                "Resource": get_att("PagesBucket", "Arn"),
                                "Condition": only_this_distribution,
                            },
                        ],
                    },
                },
            },
            "PagesAccess": {
                "Type": "AWS::CloudFront::OriginAccessControl",
                "Properties": {
                    "OriginAccessControlConfig": {
                        "Name": ref("AWS::StackName"),  # at most 61 characters: fits the 64 allowed
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    }
                },
            },
        }
    }


# S3 has no index documents behind OAC: a viewer-request function maps `/harbour/quay/` to its index.html and
# redirects `/harbour/quay` to the slash form (keeping `?src=card`), as printed URLs end in a slash.
INDEX_FUNCTION = """\
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') !== -1) {
    return request;
  }
  var query = [];
  for (var name in request.querystring) {
    var field = request.querystring[name];
    var values = field.multiValue ? field.multiValue : [field];
    for (var i = 0; i < values.length; i++) {
      query.push(encodeURIComponent(name) + '=' + encodeURIComponent(values[i].value));
    }
  }
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: {location: {value: uri + '/' + (query.length ? '?' + query.join('&') : '')}}
  };
}
"""


def distribution(names: Names) -> dict[str, Any]:
    pages_origin = {
        "Id": "pages",
        "DomainName": get_att("PagesBucket", "RegionalDomainName"),
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": get_att("PagesAccess", "Id"),
    }
    api_origin = {
        "Id": "api",
        "DomainName": sub(f"${{{CHALICE_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"),
        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
        # Replaces any viewer header of the same name: only CloudFront can send the secret.
        "OriginCustomHeaders": [{"HeaderName": ORIGIN_HEADER, "HeaderValue": ref("OriginSecret")}],
    }
    pages = {
        "TargetOriginId": "pages",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        # Honours the pages' own Cache-Control (max-age=300); compresses (gzip or brotli) per viewer.
        "CachePolicyId": CACHING_OPTIMIZED,
        "ResponseHeadersPolicyId": SECURITY_HEADERS,
        "Compress": True,
        "FunctionAssociations": [
            {
                "EventType": "viewer-request",
                "FunctionARN": get_att("PagesIndex", "FunctionMetadata.FunctionARN"),
            }
        ],
    }
    api = {
        "PathPattern": f"/{API_STAGE}/*",
        "TargetOriginId": "api",
        # A plain-http POST redirected to https would arrive as a GET; refuse it instead.
        "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ALL_METHODS,
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_DISABLED,
        # Everything the viewer sent except Host: API Gateway answers only to its own host name.
        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
        "Compress": True,
    }
    return {
        "Resources": {
            "PagesIndex": {
                "Type": "AWS::CloudFront::Function",
                "Properties": {
                    "Name": ref("AWS::StackName"),
                    "AutoPublish": True,
                    "FunctionCode": INDEX_FUNCTION,
                    "FunctionConfig": {
                        "Comment": "index.html for folder URLs",
                        "Runtime": "cloudfront-js-2.0",
                    },
                },
            },
            "Distribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {
                    "DistributionConfig": {
                        "Comment": f"wowcard {names.survey} {names.stage}",
                        "Enabled": True,
                        "HttpVersion": "http2and3",
                        "IPV6Enabled": True,
                        "PriceClass": "PriceClass_100",
                        "Origins": [pages_origin, api_origin],
                        "DefaultCacheBehavior": pages,
                        "CacheBehaviors": [api],
                        "WebACLId": {"Fn::If": ["HasWaf", ref("WebAclArn"), ref("AWS::NoValue")]},
                    }
                },
            },
        }
    }


def budget(names: Names) -> dict[str, Any]:
    def alert(kind: str, percent: int) -> dict[str, Any]:
        return {
            "Notification": {
                "NotificationType": kind,
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": percent,
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": ref("BudgetEmail")}],
        }

    return {
        "Resources": {
            "Budget": {
                "Type": "AWS::Budgets::Budget",
                "Condition": "HasBudget",
                "Properties": {
                    "Budget": {
                        "BudgetName": names.budget,
                        "BudgetType": "COST",
                        "TimeUnit": "MONTHLY",
                        "BudgetLimit": {"Amount": ref("BudgetAmount"), "Unit": "USD"},
                    },
                    "NotificationsWithSubscribers": [alert("ACTUAL", 80), alert("FORECASTED", 100)],
                },
            }
        }
    }


def app_outputs() -> dict[str, Any]:
    return {
        "Outputs": {
            "SiteURL": {"Value": sub("https://${Distribution.DomainName}")},
            "ApiURL": {"Value": sub(f"https://${{Distribution.DomainName}}/{API_STAGE}")},
            "DistributionId": {"Value": ref("Distribution")},
            "PagesBucket": {"Value": ref("PagesBucket")},
            "TableName": {"Value": ref("TableName")},
        }
    }


# --- Chalice's project configuration ------------------------------------------------------------------------


def chalice_config(names: Names, limits: Limits) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "api_gateway_stage": API_STAGE,
        "api_gateway_endpoint_type": "REGIONAL",
        "autogen_policy": False,
        "iam_policy_file": "policy.json",
        "lambda_memory_size": limits.memory_mb,
        "lambda_timeout": limits.timeout_seconds,
    }
    if limits.reserved_concurrency is not None:
        stage["reserved_concurrency"] = limits.reserved_concurrency
    # The alert sender: its own policy and a longer timeout; one at a time when the stage reserves capacity
    # (overlapping sweeps would still send each alert once).
    sender: dict[str, Any] = {"iam_policy_file": ALERTS_POLICY_FILE, "lambda_timeout": ALERTS_TIMEOUT_SECONDS}
    if limits.reserved_concurrency is not None:
        sender["reserved_concurrency"] = 1
    stage["lambda_functions"] = {ALERTS_HANDLER: sender}
    return {"version": "2.0", "app_name": APP_NAME, "stages": {names.stage: stage}}
