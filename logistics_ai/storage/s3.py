"""Any S3-compatible store through boto3: private objects, SSE requested, presigned reads."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from logistics_ai.settings import Settings
from logistics_ai.storage.base import StorageError, check_key


class S3Store:
    def __init__(self, settings: Settings) -> None:
        if not settings.s3_bucket:
            raise StorageError("S3_BUCKET must be set when STORAGE_BACKEND=s3")
        self.bucket = settings.s3_bucket
        self._sse = settings.s3_sse
        self._kms_key = settings.s3_kms_key_id
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        extra: dict[str, Any] = {}
        if self._sse != "none":
            extra["ServerSideEncryption"] = self._sse
            if self._sse == "aws:kms" and self._kms_key:
                extra["SSEKMSKeyId"] = self._kms_key
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=check_key(key),
                Body=data,
                ContentType=content_type,
                CacheControl="private, max-age=300",
                **extra,
            )
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"the S3 store refused the upload: {_code(error)}") from error

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=check_key(key))
            return bytes(response["Body"].read())
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404"):
                raise KeyError(key) from error
            raise StorageError(f"the S3 store refused the read: {_code(error)}") from error
        except BotoCoreError as error:
            raise StorageError(f"the S3 store is unreachable: {_code(error)}") from error

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"the S3 store refused the delete: {_code(error)}") from error

    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": check_key(key)},
                ExpiresIn=ttl_seconds,
            )
        )


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "error"))
    return type(error).__name__
