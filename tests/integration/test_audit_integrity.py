"""The audit trail is tamper-evident on PostgreSQL, and the app's role cannot rewrite it."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from logistics_ai import migrate
from logistics_ai.db import get_engine, session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.models import AuditEvent, User, utcnow
from logistics_ai.services import audit, audit_integrity, audit_log, shipments
from logistics_ai.settings import PROJECT_ROOT, get_settings
from tests.support import app_config, services
from tests.support.world import World, booking


def _sql(statement: str, **params: object) -> None:
    """What someone with write access to the database does behind the app's back."""
    with get_engine().begin() as connection:
        connection.execute(text(statement), params)


def _verify() -> audit_integrity.IntegrityReport:
    with session_scope() as s:
        return audit_integrity.verify(s)


def _shipment_rows(n: int, world: World) -> str:
    """n rows in one chain: a booking, then n-1 later events about that same shipment (an
    entity's rows share a chain). Returns the chain, named by the documented rule."""
    with session_scope() as s:
        shipment_id = shipments.create_shipment(s, world.alice, booking()).id
    assert shipment_id is not None
    for n_th in range(2, n + 1):
        with session_scope() as s:
            audit.record(s, world.alice, "shipment.viewed", "shipment", shipment_id, {"n": n_th})
    return f"shipment#{shipment_id % 32}"


def _seq_ids(chain: str) -> dict[int, int]:
    with Session(get_engine()) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.chain == chain)).all()
        return {row.seq: row.id for row in rows}  # type: ignore[misc]


def test_an_untouched_trail_verifies_and_rows_link_up(world: World) -> None:
    name = _shipment_rows(3, world)
    report = _verify()
    assert report.ok, report.problems
    chain = next(c for c in report.chains if c.chain == name)
    assert (chain.first_seq, chain.last_seq, chain.rows) == (1, 3, 3)
    with Session(get_engine()) as s:
        rows = s.exec(
            select(AuditEvent).where(AuditEvent.chain == name).order_by(AuditEvent.seq)
        ).all()
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_an_edited_row_is_detected(world: World) -> None:
    chain = _shipment_rows(3, world)
    _sql(
        "UPDATE audit_events SET details = '{\"edited\": true}' WHERE id = :id",
        id=_seq_ids(chain)[2],
    )
    report = _verify()
    assert not report.ok
    assert any("seq 2" in p and "edited" in p for p in report.problems), report.problems


def test_an_edited_row_with_a_recomputed_hash_still_breaks_the_chain(world: World) -> None:
    from logistics_ai.security.audit_chain import row_hash

    chain = _shipment_rows(3, world)
    with Session(get_engine()) as s:
        row = s.get(AuditEvent, _seq_ids(chain)[2])
        assert row is not None
        row.action = "shipment.nothing_happened"
        row.hash = row_hash(row.model_dump())
        s.add(row)
        s.commit()
    problems = _verify().problems
    assert any("seq 3 does not follow seq 2" in p for p in problems), problems


def test_a_deleted_row_is_detected(world: World) -> None:
    chain = _shipment_rows(4, world)
    _sql("DELETE FROM audit_events WHERE id = :id", id=_seq_ids(chain)[2])
    problems = _verify().problems
    assert any("2..2 were deleted" in p for p in problems), problems


def test_reordered_rows_are_detected(world: World) -> None:
    chain = _shipment_rows(4, world)
    ids = _seq_ids(chain)
    # Swap the positions of rows 2 and 3 (through a free number, the pair is unique).
    _sql("UPDATE audit_events SET seq = -1 WHERE id = :id", id=ids[2])
    _sql("UPDATE audit_events SET seq = 2 WHERE id = :id", id=ids[3])
    _sql("UPDATE audit_events SET seq = 3 WHERE id = :id", id=ids[2])
    problems = _verify().problems
    assert any("reordered" in p for p in problems), problems


def test_rows_removed_from_the_end_are_caught_by_the_signed_checkpoint(world: World) -> None:
    chain = _shipment_rows(3, world)
    with session_scope() as s:
        assert audit_integrity.write_checkpoints(s) >= 1
    ids = _seq_ids(chain)
    _sql("DELETE FROM audit_events WHERE id = :id", id=ids[3])
    _sql("UPDATE audit_heads SET seq = 2 WHERE chain = :c", c=chain)  # cover the tracks
    problems = _verify().problems
    assert any("checkpoint at seq 3" in p for p in problems), problems


def test_a_forged_checkpoint_is_detected(world: World) -> None:
    _shipment_rows(2, world)
    with session_scope() as s:
        audit_integrity.write_checkpoints(s)
    _sql("UPDATE audit_checkpoints SET hash = :h", h="f" * 64)
    problems = _verify().problems
    assert any("invalid signature" in p for p in problems), problems


def test_cli_audit_verify_exits_nonzero_on_tampering(world: World) -> None:
    chain = _shipment_rows(2, world)
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": get_settings().database_url,
        "SECRET_KEY": get_settings().secret_key,
        "REDIS_URL": get_settings().redis_url or "",
        "SEED_DEMO": "false",
    }
    command = [sys.executable, "-m", "logistics_ai", "audit", "verify"]
    clean = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "audit trail intact" in clean.stdout
    _sql("UPDATE audit_events SET entity_id = 'x' WHERE id = :id", id=_seq_ids(chain)[1])
    tampered = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert tampered.returncode == 2
    assert "TAMPERED" in tampered.stdout and "seq 1" in tampered.stdout


def test_retention_prunes_behind_a_signed_anchor(world: World) -> None:
    name = _shipment_rows(2, world)
    shipment_id = int(name.split("#")[1])  # the first booking after the reset has id < 32
    cutoff = utcnow()
    with session_scope() as s:
        audit.record(s, world.alice, "shipment.viewed", "shipment", shipment_id, {"n": 3})
    with session_scope() as s:
        assert audit_integrity.prune_before(s, cutoff) >= 2
    report = _verify()
    assert report.ok, report.problems
    chain = next(c for c in report.chains if c.chain == name)
    assert (chain.first_seq, chain.last_seq) == (3, 3)
    # Without the signed anchor the missing start would be tampering.
    _sql("DELETE FROM audit_checkpoints WHERE kind = 'prune' AND chain = :c", c=name)
    assert any("before seq 3 are missing" in p for p in _verify().problems)


def test_bookings_of_different_shipments_do_not_wait_on_each_other(world: World) -> None:
    """Two open transactions audit two new shipments. Before sharding, the second waited for
    the first's commit on the chain head's row lock (creates serialised at ~9 req/s)."""
    from sqlalchemy.exc import OperationalError

    _shipment_rows(1, world)  # alice's first audited act creates her sealing key (a row lock)
    first = Session(get_engine())
    second = Session(get_engine())
    try:
        a = shipments.create_shipment(first, world.alice, booking())
        first.flush()  # holds a's chain head until commit
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        try:
            b = shipments.create_shipment(second, world.alice, booking())
            second.flush()
        except OperationalError as error:  # pragma: no cover - the regression this catches
            pytest.fail(f"the second booking waited on the first one's audit chain: {error}")
        assert a.id is not None and b.id is not None
        chain_a = f"shipment#{a.id % 32}"
        chain_b = f"shipment#{b.id % 32}"
        assert chain_a != chain_b
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    report = _verify()
    assert report.ok, report.problems
    assert {chain_a, chain_b} <= {c.chain for c in report.chains}


def test_one_entitys_rows_stay_in_one_chain_in_order(world: World) -> None:
    name = _shipment_rows(3, world)
    shipment_id = int(name.split("#")[1])
    with Session(get_engine()) as s:
        rows = s.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "shipment", AuditEvent.entity_id == str(shipment_id))
            .order_by(AuditEvent.id)
        ).all()
    assert [(r.chain, r.seq) for r in rows] == [(name, 1), (name, 2), (name, 3)]
    assert [r.action for r in rows] == ["shipment.created", "shipment.viewed", "shipment.viewed"]


def test_actor_details_are_sealed_and_shown_to_admins(world: World) -> None:
    actor = Actor(
        user_id=world.alice.user_id,
        role=world.alice.role,
        label="alice@test.example.com",
        ip="203.0.113.9",
        user_agent="Firefox",
    )
    with session_scope() as s:
        audit.record(s, actor, "test.sealed", "test", 1)
    with get_engine().connect() as connection:
        raw = (
            connection.execute(text("SELECT * FROM audit_events WHERE action = 'test.sealed'"))
            .mappings()
            .one()
        )
    stored = " ".join(str(v) for v in raw.values())
    assert "alice@" not in stored and "203.0.113.9" not in stored and "Firefox" not in stored
    assert raw["actor_label"] == f"user:{world.alice.user_id}"
    with session_scope() as s:
        page = audit_log.list_events(s, world.admin, {"actor": "alice@test"})
    shown = next(e for e in page.items if e.action == "test.sealed")
    assert (shown.actor_label, shown.ip, shown.user_agent) == (
        "alice@test.example.com",
        "203.0.113.9",
        "Firefox",
    )


# --- The app's database role -------------------------------------------------------------


@pytest.fixture
def app_role_database(postgres: services.PostgresServer) -> Iterator[tuple[str, str]]:
    """A fresh database migrated by the owner with DB_APP_ROLE set; yields (owner, app) URLs."""
    role = f"lai_app_{secrets.token_hex(4)}"
    name = services.create_database(postgres, prefix="lai_roles")
    with psycopg.connect(postgres.admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    owner_url = postgres.url(name)
    app_url = f"postgresql+psycopg://{role}@{postgres.host}:{postgres.port}/{name}"
    try:
        with app_config.configured(database_url=owner_url, db_app_role=role):
            migrate.upgrade(owner_url)
        yield owner_url, app_url
    finally:
        services.drop_database(postgres, name)
        with psycopg.connect(postgres.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        app_config.reset_caches()


def test_the_app_role_can_append_but_not_rewrite_the_audit_trail(
    app_role_database: tuple[str, str], redis_url: str, redis_prefix: str
) -> None:
    _owner_url, app_url = app_role_database
    with app_config.configured(database_url=app_url, db_app_role=""):
        with session_scope() as s:  # the app works as this role: users, audit rows, heads
            s.add(User(email="r@x.example", full_name="R", role="customer", password_hash="x"))
            audit.record(s, Actor(user_id=None, role=None, label="system"), "t.one", "t", 1)
            audit.record(s, Actor(user_id=None, role=None, label="system"), "t.two", "t", 2)
        with session_scope() as s:
            assert audit_integrity.verify(s).ok
        engine = create_engine(app_url)
        try:
            for statement in (
                "UPDATE audit_events SET action = 'x'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
                "UPDATE audit_checkpoints SET hash = 'x'",
                "DELETE FROM audit_checkpoints",
                "UPDATE alembic_version SET version_num = 'x'",
            ):
                with pytest.raises(Exception, match="permission denied"), engine.begin() as c:
                    c.execute(text(statement))
            with engine.connect() as c:
                assert c.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 2
        finally:
            engine.dispose()


def test_audit_rows_written_before_the_chain_migration_are_chained(
    postgres: services.PostgresServer,
) -> None:
    name = services.create_database(postgres, prefix="lai_chainmig")
    url = postgres.url(name)
    try:
        migrate.upgrade(url, "e12a0b0c0003")  # the revision before the chain
        engine = create_engine(url)
        with engine.begin() as c:
            for n in range(3):
                c.execute(
                    text(
                        "INSERT INTO audit_events (occurred_at, actor_label, action, entity_type,"
                        " entity_id, details) VALUES (:t, 'old@x.example', 'legacy', 'shipment',"
                        " :n, '{\"n\": 1}')"
                    ),
                    {"t": utcnow() - timedelta(minutes=10 - n), "n": str(n)},
                )
        engine.dispose()
        migrate.upgrade(url)
        with app_config.configured(database_url=url), session_scope() as s:
            report = audit_integrity.verify(s)
        assert report.ok and report.rows == 3, report.problems
    finally:
        app_config.reset_caches()
        services.drop_database(postgres, name)
