"""`python -m logistics_ai create-admin`: the first admin of an empty production database."""

from __future__ import annotations

import io

from sqlmodel import Session, select

from logistics_ai import cli
from logistics_ai.models import AuditEvent, Role, User
from logistics_ai.services import users

PASSWORD = "quiet-harbour-lantern-93"


def _run(monkeypatch, argv: list[str], stdin: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_first_admin_is_created_from_stdin_and_can_sign_in(
    clean_db, session: Session, monkeypatch, capsys
) -> None:
    argv = ["create-admin", "--email", "Ops@Example.com", "--name", "Ops Lead"]
    assert _run(monkeypatch, argv, PASSWORD + "\n") == 0
    assert "created admin ops@example.com" in capsys.readouterr().out
    admin = session.exec(select(User).where(User.email == "ops@example.com")).one()
    assert admin.role == Role.admin and admin.is_active
    assert users.authenticate(session, "ops@example.com", PASSWORD).id == admin.id
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.created")).all()
    assert [e.entity_id for e in events] == [str(admin.id)]


def test_second_admin_is_refused(clean_db, session: Session, monkeypatch, capsys) -> None:
    first = ["create-admin", "--email", "a@example.com", "--name", "A"]
    assert _run(monkeypatch, first, PASSWORD) == 0
    second = ["create-admin", "--email", "b@example.com", "--name", "B"]
    assert _run(monkeypatch, second, PASSWORD) == 1
    assert "An admin already exists" in capsys.readouterr().err
    assert session.exec(select(User).where(User.email == "b@example.com")).first() is None


def test_weak_password_is_refused_without_a_half_written_account(
    clean_db, session: Session, monkeypatch, capsys
) -> None:
    argv = ["create-admin", "--email", "c@example.com", "--name", "C"]
    assert _run(monkeypatch, argv, "short") == 1
    assert "error:" in capsys.readouterr().err
    assert session.exec(select(User)).first() is None
