"""The audit hash chain's pure parts: canonical content, row hashes, checkpoint signatures."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from logistics_ai.security.audit_chain import (
    GENESIS,
    chain_for,
    checkpoint_valid,
    row_hash,
    sign_checkpoint,
)

WHEN = datetime(2026, 11, 30, 8, 15, 30, 123456, tzinfo=UTC)
ROW = {
    "chain": "shipment",
    "seq": 7,
    "prev_hash": "a" * 64,
    "occurred_at": WHEN,
    "actor_user_id": 3,
    "actor_label": "user:3",
    "action": "shipment.cancelled",
    "entity_type": "shipment",
    "entity_id": "42",
    "ip": None,
    "user_agent": None,
    "details": {"from": "requested", "to": "cancelled"},
    "pii": "s3:gAAAA",
}


def _chain(n: int) -> list[dict]:
    rows, previous = [], GENESIS
    for seq in range(1, n + 1):
        row = {**ROW, "seq": seq, "prev_hash": previous, "entity_id": str(seq)}
        row["hash"] = row_hash(row)
        previous = row["hash"]
        rows.append(row)
    return rows


def test_hash_is_sha256_hex_and_independent_of_key_order() -> None:
    digest = row_hash(ROW)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert row_hash(dict(reversed(list(ROW.items())))) == digest
    details_reordered = {**ROW, "details": {"to": "cancelled", "from": "requested"}}
    assert row_hash(details_reordered) == digest


@pytest.mark.parametrize(
    "field,value",
    [
        ("chain", "user"),
        ("seq", 8),
        ("prev_hash", "b" * 64),
        ("occurred_at", WHEN + timedelta(microseconds=1)),
        ("actor_user_id", 4),
        ("actor_label", "user:4"),
        ("action", "shipment.delivered"),
        ("entity_type", "user"),
        ("entity_id", "43"),
        ("ip", "10.0.0.1"),
        ("user_agent", "curl"),
        ("details", {"from": "requested", "to": "delivered"}),
        ("pii", "s3:gBBBB"),
    ],
)
def test_every_recorded_field_is_covered_by_the_hash(field: str, value: object) -> None:
    assert row_hash({**ROW, field: value}) != row_hash(ROW)


def test_the_same_instant_in_another_zone_or_naive_utc_hashes_the_same() -> None:
    # Databases hand back UTC (PostgreSQL) or naive values (SQLite); the hash must not care.
    chicago = WHEN.astimezone(timezone(timedelta(hours=-6)))
    naive = WHEN.replace(tzinfo=None)
    assert row_hash({**ROW, "occurred_at": chicago}) == row_hash(ROW)
    assert row_hash({**ROW, "occurred_at": naive}) == row_hash(ROW)


def test_a_known_row_has_a_stable_hash() -> None:
    # Computed independently of row_hash from the documented canonical form, so a change of
    # the encoding (which would break every stored chain) cannot pass unnoticed.
    canonical = (
        '{"action":"shipment.cancelled","actor_label":"user:3","actor_user_id":3,'
        '"chain":"shipment","details":{"from":"requested","to":"cancelled"},'
        '"entity_id":"42","entity_type":"shipment","ip":null,'
        '"occurred_at":"2026-11-30T08:15:30.123456+00:00","pii":"s3:gAAAA",'
        '"prev_hash":"' + "a" * 64 + '","seq":7,"user_agent":null}'
    )
    assert row_hash(ROW) == hashlib.sha256(canonical.encode()).hexdigest()


def test_changing_one_row_breaks_the_link_to_the_next() -> None:
    rows = _chain(5)
    edited = {**rows[2], "details": {"from": "requested", "to": "delivered"}}
    assert row_hash(edited) != rows[2]["hash"]  # the row's own hash no longer matches
    rehashed = {**edited, "hash": row_hash(edited)}  # a forger recomputes it...
    assert rows[3]["prev_hash"] != rehashed["hash"]  # ...and the next row points elsewhere
    swapped = [rows[0], rows[2], rows[1]]
    assert any(b["prev_hash"] != a["hash"] for a, b in itertools.pairwise(swapped))


def test_checkpoint_signatures() -> None:
    secret = "s" * 48
    signature = sign_checkpoint(secret, "shipment", 5, "c" * 64, "periodic", WHEN)
    assert checkpoint_valid(secret, "shipment", 5, "c" * 64, "periodic", WHEN, signature)
    assert not checkpoint_valid("t" * 48, "shipment", 5, "c" * 64, "periodic", WHEN, signature)
    for chain, seq, digest, kind in (
        ("user", 5, "c" * 64, "periodic"),
        ("shipment", 6, "c" * 64, "periodic"),
        ("shipment", 5, "d" * 64, "periodic"),
        ("shipment", 5, "c" * 64, "prune"),
    ):
        assert not checkpoint_valid(secret, chain, seq, digest, kind, WHEN, signature)


def test_chains_are_sharded_by_entity_id() -> None:
    # The documented rule: integer ids by id % 32, other ids by CRC-32, no id in shard 0.
    assert chain_for("shipment", 42) == "shipment#10"
    assert chain_for("shipment", "42") == "shipment#10"
    assert chain_for("shipment", 32) == "shipment#0"
    assert chain_for("shipment", None) == "shipment#0"
    assert chain_for("conversation", "c-7f3a") == f"conversation#{zlib.crc32(b'c-7f3a') % 32}"
    assert chain_for("shipment", "²") == f"shipment#{zlib.crc32('²'.encode()) % 32}"
    assert len(chain_for("a_very_long_entity_type_name_indeed", 31)) <= 32


def test_a_burst_of_new_ids_spreads_over_every_shard() -> None:
    # Consecutive bookings must not share a chain head (they would wait on each other's lock).
    chains = [chain_for("shipment", n) for n in range(1000, 1032)]
    assert len(set(chains)) == 32
