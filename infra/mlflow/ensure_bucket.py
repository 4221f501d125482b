"""Create the S3 bucket of MLFLOW_ARTIFACTS_DESTINATION if it is missing, then exit.

The MLflow server proxies artifact uploads into that bucket but never creates it, and MinIO has
no setting for buckets to create at start. Runs in the MLflow image before `mlflow server`, with
the server's own S3 settings (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
A destination that is not s3:// needs no bucket: nothing to do.
"""

from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlparse

ATTEMPTS = 10  # the object store may still be starting: ~1 minute in all
DELAY_SECONDS = 6.0


def bucket_of(destination: str) -> str | None:
    """`s3://bucket/prefix` -> `bucket`; None for any other scheme."""
    parsed = urlparse(destination)
    if parsed.scheme != "s3":
        return None
    if not parsed.netloc:
        raise ValueError(f"artifact destination {destination!r} names no bucket")
    return parsed.netloc


def main() -> int:
    bucket = bucket_of(os.environ.get("MLFLOW_ARTIFACTS_DESTINATION", ""))
    if bucket is None:
        return 0
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket)
                print(f"ensure_bucket: created s3://{bucket}", flush=True)
            return 0
        except (BotoCoreError, ClientError) as error:
            print(
                f"ensure_bucket: attempt {attempt}/{ATTEMPTS}: {error}", file=sys.stderr, flush=True
            )
            time.sleep(DELAY_SECONDS)
    return 1


if __name__ == "__main__":
    sys.exit(main())
