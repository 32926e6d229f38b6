"""The data stack, one per survey: what must outlive any deployment. The DynamoDB table (derived from the
store's own `table_definition()`, so the store and the template never disagree), retained on delete and on
replacement (but not kept when the stack's very first create rolls back, so a retry does not collide with its
name), with point-in-time recovery and TTL; the bucket the Lambda bundles are uploaded to; and the role API
Gateway writes access logs with (an account-wide setting API Gateway needs before any stage may log).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .aws_templates import Names, combine, get_att, private_bucket_properties, ref, sub


def data_template(names: Names) -> dict[str, Any]:
    return combine(
        {"Description": f"wowcard data for survey {names.survey}: responses table and Lambda bundles"},
        table_resources(names),
        artifacts_resources(),
        api_logging_role(),
    )


def table_properties(create_table: Mapping[str, Any], table_name: str, ttl_attribute: str) -> dict[str, Any]:
    """CreateTable arguments (the store's `table_definition()`) as AWS::DynamoDB::Table properties. An
    argument this function does not know fails loudly: the template never silently drops part of the table."""
    props: dict[str, Any] = {"TableName": table_name, "BillingMode": "PAY_PER_REQUEST"}
    for key, value in create_table.items():
        if key == "TableName":
            continue
        if key in ("AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes", "TableClass"):
            props[key] = value
        elif key == "BillingMode":
            if value != "PAY_PER_REQUEST":
                raise ValueError(f"the table must be on-demand (PAY_PER_REQUEST), not {value}")
        elif key == "GlobalSecondaryIndexes":
            props[key] = [{k: v for k, v in index.items() if k != "ProvisionedThroughput"} for index in value]
        elif key == "StreamSpecification":
            if value.get("StreamEnabled"):
                props[key] = {"StreamViewType": value["StreamViewType"]}
        elif key == "SSESpecification":
            props[key] = {("SSEEnabled" if k == "Enabled" else k): v for k, v in value.items()}
        elif key == "DeletionProtectionEnabled":
            props[key] = bool(value)
        elif key == "Tags":
            props[key] = list(value)
        else:
            raise ValueError(f"table_definition() has {key}, which wowcard's template does not translate yet")
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute, "Enabled": True}
    # A second guard beside Retain: the table cannot be deleted by any API call until this is turned off.
    props["DeletionProtectionEnabled"] = True
    return props


def table_resources(names: Names) -> dict[str, Any]:
    from .collector import store_dynamodb

    props = table_properties(store_dynamodb.table_definition(), names.table, store_dynamodb.TTL_ATTRIBUTE)
    return {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                # Kept when the stack is deleted, except when its first create rolls back (the table is then
                # new and empty, and keeping it would make the retry collide with its fixed name).
                "DeletionPolicy": "RetainExceptOnCreate",
                "UpdateReplacePolicy": "Retain",
                "Properties": props,
            }
        },
        "Outputs": {
            "TableName": {"Value": ref("Table")},
            "TableArn": {"Value": get_att("Table", "Arn")},
        },
    }


def artifacts_resources() -> dict[str, Any]:
    props = private_bucket_properties()
    props["LifecycleConfiguration"] = {
        "Rules": [
            {
                "Id": "abort-incomplete-uploads",
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    }
    return {
        "Resources": {"ArtifactsBucket": {"Type": "AWS::S3::Bucket", "Properties": props}},
        "Outputs": {"ArtifactsBucket": {"Value": ref("ArtifactsBucket")}},
    }


def api_logging_role() -> dict[str, Any]:
    """The role API Gateway writes access logs with, set as the account's (and region's) API Gateway
    setting. It is one setting per account and region: every survey's data stack sets its own role, each
    equally good, and the role is retained on delete so the setting never points at a role that is gone."""
    return {
        "Resources": {
            "ApiGatewayLogsRole": {
                "Type": "AWS::IAM::Role",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "apigateway.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        sub(
                            "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                            "AmazonAPIGatewayPushToCloudWatchLogs"
                        )
                    ],
                },
            },
            "ApiGatewayAccount": {
                "Type": "AWS::ApiGateway::Account",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"CloudWatchRoleArn": get_att("ApiGatewayLogsRole", "Arn")},
            },
        }
    }
