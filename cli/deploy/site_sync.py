"""S3 for deploy: the Lambda bundle and large templates, stored under their hash in the artifacts bucket, and
the built pages synced to the pages bucket. A page is uploaded only when its MD5 differs from the object's
ETag, and a page no longer built is removed, so re-running with nothing changed changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .. import package as packaging
from ..collector.collect import site_path
from ..collector.survey import Survey
from .aws import Aws, DeployError, Say
from .stacks import template_json

MAX_TEMPLATE_BODY = 51_200  # bytes CloudFormation accepts inline; larger templates go through S3
PAGE_CACHE = "public, max-age=300"  # pages change with the survey: a cached page is at most 5 minutes old
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # only for names that carry a content hash
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
}


def bundle_key(pkg: packaging.Package) -> str:
    return f"lambda/{pkg.names.stage}/{pkg.bundle_sha256()}.zip"


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def upload_bundle(
    s3: Any, bucket: str | None, pkg: packaging.Package, say: Say, dry_run: bool = False
) -> str:
    """Store the bundle under its hash (once); returns its key. `bucket` None: the data stack is not there yet
    (only in a dry run)."""
    key = bundle_key(pkg)
    size = pkg.bundle.stat().st_size
    shown = f"bundle {key.rsplit('/', 1)[-1][:12]} ({size / 1024:.1f} KB)"
    if bucket is not None and object_exists(s3, bucket, key):
        say(f"      {shown} is already uploaded")
    elif dry_run or bucket is None:
        say(f"      {shown} would be uploaded")
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=pkg.bundle.read_bytes(), ContentType="application/zip")
        say(f"      uploaded {shown}")
    return key


def template_location(s3: Any, bucket: str, region: str, template: dict[str, Any]) -> str | None:
    """None while the template fits inline; otherwise the S3 URL of a copy stored under its hash."""
    body = template_json(template).encode("utf-8")
    if len(body) <= MAX_TEMPLATE_BODY:
        return None
    key = f"templates/{hashlib.sha256(body).hexdigest()}.json"
    if not object_exists(s3, bucket, key):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


@dataclass(frozen=True, slots=True)
class PageObject:
    key: str
    path: Path
    md5: str
    content_type: str
    cache_control: str


@dataclass(frozen=True, slots=True)
class SyncPlan:
    upload: list[PageObject]
    delete: list[str]
    keep: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.upload or self.delete)

    def words(self) -> str:
        return f"{len(self.upload)} to upload, {len(self.delete)} to remove, {len(self.keep)} unchanged"


def object_headers(key: str) -> tuple[str, str]:
    """Content-Type and Cache-Control for a key. Pages are not precompressed: CloudFront compresses per viewer
    (brotli or gzip, as the browser asks), so no object carries a Content-Encoding some client cannot read."""
    suffix = Path(key).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    return content_type, IMMUTABLE_CACHE if HASHED_NAME.search(key) else PAGE_CACHE


def page_objects(out: Path, files: Iterable[str], prefix: str) -> list[PageObject]:
    """The built files (paths relative to `out`) as objects under `prefix` (the site URL's path, if any)."""
    objects = []
    for relative in sorted(files):
        path = out / relative
        key = f"{prefix}/{relative}" if prefix else relative
        content_type, cache_control = object_headers(key)
        md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        objects.append(PageObject(key, path, md5, content_type, cache_control))
    return objects


def remote_objects(s3: Any, bucket: str, prefix: str) -> dict[str, str]:
    """Key → ETag (the MD5 of a single-part, SSE-S3 object) of everything under `prefix`."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def plan_sync(local: list[PageObject], remote: dict[str, str]) -> SyncPlan:
    wanted = {obj.key for obj in local}
    upload = [obj for obj in local if remote.get(obj.key) != obj.md5]
    keep = [obj.key for obj in local if remote.get(obj.key) == obj.md5]
    return SyncPlan(upload, sorted(set(remote) - wanted), keep)


def apply_sync(s3: Any, bucket: str, plan: SyncPlan) -> None:
    for obj in plan.upload:
        s3.put_object(
            Bucket=bucket,
            Key=obj.key,
            Body=obj.path.read_bytes(),
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
        )
    delete_keys(s3, bucket, plan.delete)


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors", [])
        if errors:
            first = errors[0]
            raise DeployError(
                "", f"could not remove {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )


def empty_bucket(s3: Any, bucket: str) -> int:
    try:
        keys = list(remote_objects(s3, bucket, ""))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return 0
        raise
    delete_keys(s3, bucket, keys)
    return len(keys)


def site_prefix(site_url: str) -> str:
    """The path part of the site URL: pages of https://example.com/surveys live under surveys/."""
    return site_path(site_url).lstrip("/")


def built_files(result: Any) -> list[str]:
    """What a build wrote, relative to its output folder: its pages and survey.json (not its manifest)."""
    files = [page.path for page in result.pages]
    if result.definition is not None:
        files.append(result.definition.relative_to(result.out).as_posix())
    return files


def sync_site(
    aws: Aws, survey: Survey, bucket: str | None, out: Path, dry_run: bool, published: Iterable[Any] = ()
) -> SyncPlan:
    """Build the pages into `out` (keeping the pages of `published` versions as hand-offs) and bring the
    bucket to exactly them (or only plan it)."""
    from ..build import build_site

    result = build_site(survey, out=out, published=published)
    prefix = site_prefix(survey.site_url or "")
    local = page_objects(out, built_files(result), prefix)
    s3 = aws.client("s3")
    remote_prefix = f"{prefix}/{survey.id}/" if prefix else f"{survey.id}/"
    remote = remote_objects(s3, bucket, remote_prefix) if bucket else {}
    plan = plan_sync(local, remote)
    if not dry_run and bucket is not None:
        apply_sync(s3, bucket, plan)
    return plan
