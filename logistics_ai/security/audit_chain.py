"""Hash chain and signed checkpoints of the audit trail: pure functions, no database.

Each audit row's hash covers its own content, its position (chain, seq) and the previous
row's hash, so changing, removing or reordering any row changes every hash after it. A
checkpoint is an HMAC (key derived from SECRET_KEY) over "chain C had hash H at position N":
someone able to write to the database but without the secret can rebuild a consistent chain,
but not one that matches the signed checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "prev_hash",
    "occurred_at",
    "actor_user_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "ip",
    "user_agent",
    "details",
    "pii",
)


# Fixed, not a setting: a different count would move entities to other chains (verification
# would still pass, chains are independent, but one entity's history would be split in two).
# 32 shards let 32 transactions on different entities of one type hold their heads at once,
# more than the API's threads per worker (API_THREADS, 12) times its two workers.
SHARDS = 32


def chain_for(entity_type: str, entity_id: int | str | None) -> str:
    """The chain an entity's audit rows go to: `<type>#<shard>`, at most 32 characters.

    Integer ids (and numeric strings) shard by `id % SHARDS`, so sequential ids spread evenly;
    other ids by CRC-32 of their text; rows about no entity go to shard 0."""
    if entity_id is None:
        shard = 0
    elif isinstance(entity_id, int) or (str(entity_id).isascii() and str(entity_id).isdigit()):
        shard = int(entity_id) % SHARDS
    else:
        shard = zlib.crc32(str(entity_id).encode()) % SHARDS
    return f"{entity_type[:28]}#{shard}"


def _canonical_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: dict[str, Any]) -> bytes:
    """One byte string per row content: sorted JSON, UTC microsecond times."""
    content = {name: row.get(name) for name in HASHED_FIELDS}
    content["occurred_at"] = _canonical_time(row["occurred_at"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def _checkpoint_key(secret: str) -> bytes:
    return hashlib.sha256(f"logistics-ai:audit-checkpoint:{secret}".encode()).digest()


def checkpoint_message(chain: str, seq: int, hash_: str, kind: str, created_at: datetime) -> bytes:
    return f"{chain}|{seq}|{hash_}|{kind}|{_canonical_time(created_at)}".encode()


def sign_checkpoint(
    secret: str, chain: str, seq: int, hash_: str, kind: str, created_at: datetime
) -> str:
    message = checkpoint_message(chain, seq, hash_, kind, created_at)
    return hmac.new(_checkpoint_key(secret), message, hashlib.sha256).hexdigest()


def checkpoint_valid(
    secret: str,
    chain: str,
    seq: int,
    hash_: str,
    kind: str,
    created_at: datetime,
    signature: str,
) -> bool:
    expected = sign_checkpoint(secret, chain, seq, hash_, kind, created_at)
    return hmac.compare_digest(expected, signature)
