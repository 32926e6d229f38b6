"""`wowcard deploy`, `wowcard destroy` and `stage_outputs`: the survey on AWS, from nothing to working pages,
with the state kept in CloudFormation rather than in a file on one laptop.

One module per job:
- `aws`: the session, the errors (exit 1 / exit 2), an AWS answer in words, numbered steps;
- `stacks` and `events`: CloudFormation change sets, following a stack's events, failures explained;
- `site_sync`: the bundle and the pages in S3;
- `secrets`: the stage's SSM parameters (origin secret, alert webhook);
- `walk`: deploy and its dry run, one walk through the same steps;
- `destroy`: taking a stage (and, when asked, its data) down;
- `outputs`: where a deployed stage lives, for the reading commands.

Credentials and region come from boto3's standard chain (`--profile`, `--region`, environment, ~/.aws).
"""

from .aws import Aws, AwsSetupError, DeployError, Interrupted, connect
from .destroy import destroy
from .outputs import stage_outputs
from .secrets import delete_webhook, store_webhook, webhook_url
from .site_sync import built_files
from .stacks import Wait
from .walk import Deployment, Options, deploy

__all__ = [
    "Aws",
    "AwsSetupError",
    "DeployError",
    "Deployment",
    "Interrupted",
    "Options",
    "Wait",
    "built_files",
    "connect",
    "delete_webhook",
    "deploy",
    "destroy",
    "stage_outputs",
    "store_webhook",
    "webhook_url",
]
