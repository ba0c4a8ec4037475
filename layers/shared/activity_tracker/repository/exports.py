"""Exports: `ORG#o#EXPORT#e / EXPORT` (type EXPORT), listed through GSI2 `ORG#o#EXPORTS`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.repository.table import Gsi2, TableItem, connection
from activity_tracker.settings import get_settings


class ExportItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    status = UnicodeAttribute()
    period_start = UnicodeAttribute()
    period_end = UnicodeAttribute()
    format = UnicodeAttribute()
    row_count = NumberAttribute(null=True)
    summary = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    requested_by_user_id = UnicodeAttribute(null=True)
    scheduled = BooleanAttribute(default=False)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_organization = Gsi2()


def create(org_id: str, export_id: str, period_start: str, period_end: str, fmt: str, requested_by: str | None) -> ExportItem | None:
    """Queue an export; None when one with this id exists already (a scheduled rerun)."""
    moment = now_iso()
    item = ExportItem(
        keys.export_pk(org_id, export_id), keys.EXPORT_SK, entity="EXPORT", id=export_id, organization_id=org_id, status="pending",
        period_start=period_start, period_end=period_end, format=fmt, requested_by_user_id=requested_by, scheduled=requested_by is None,
        created_at=moment, updated_at=moment, gsi2pk=keys.exports_of_org(org_id), gsi2sk=f"{moment}#{export_id}",
    )  # fmt: skip
    try:
        item.save(condition=ExportItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def get(org_id: str, export_id: str) -> ExportItem | None:
    try:
        return ExportItem.get(keys.export_pk(org_id, export_id), keys.EXPORT_SK, consistent_read=True)
    except DoesNotExist:
        return None


_s3: Any = None


def download_url(s3_key: str, seconds: int) -> str:
    """A presigned GET of an export's file. One S3 client per container, made on the first done
    export read from the botocore session the table's client came from (a session of its own would
    load botocore's endpoint and retry data again; boto3 would add nothing but its import time)."""
    global _s3
    if _s3 is None:
        _s3 = connection().session.create_client("s3")
    return str(_s3.generate_presigned_url("get_object", Params={"Bucket": get_settings().exports_bucket, "Key": s3_key}, ExpiresIn=seconds))
