"""Admin area: users and invitations, API keys, the audit log."""

from __future__ import annotations

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import DomainError, ValidationFailed
from logistics_ai.models import Role
from logistics_ai.security.policy import SCOPES
from logistics_ai.services import api_keys, audit_log, users
from state.auth import AuthState
from state.formatting import when

ADMIN = (Role.admin,)
AUDIT_PAGE_SIZE = 50


class AdminState(AuthState):
    people: list[dict[str, str]] = []
    keys: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    invite_errors: dict[str, str] = {}
    invite_link: str = ""
    new_key_secret: str = ""
    key_errors: dict[str, str] = {}
    audit_action: str = ""
    audit_actor: str = ""
    audit_page: int = 1
    audit_total: int = 0

    @rx.var
    def audit_pages(self) -> int:
        return max(1, -(-self.audit_total // AUDIT_PAGE_SIZE))

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return self._guard(ADMIN) or self._refresh()

    def _refresh(self):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session, ADMIN)
                people = users.list_users(session, actor)
                keys = api_keys.list_keys(session, actor)
                owners = {u.id: u.email for u in people}
                page = audit_log.list_events(
                    session,
                    actor,
                    {
                        "action": self.audit_action or None,
                        "actor": self.audit_actor or None,
                        "page": self.audit_page,
                        "page_size": AUDIT_PAGE_SIZE,
                    },
                )
        except DomainError as error:
            return rx.toast.error(error.message)
        self.people = [
            {
                "id": str(u.id),
                "email": u.email,
                "name": u.full_name,
                "role": u.role,
                "active": "yes" if u.is_active else "no",
                "last_login": when(u.last_login_at),
            }
            for u in people
        ]
        self.keys = [
            {
                "id": str(k.id),
                "name": k.name,
                "prefix": f"lai_{k.prefix}_…",
                "scopes": k.scopes,
                "owner": owners.get(k.owner_user_id, str(k.owner_user_id)),
                "expires": when(k.expires_at) or "never",
                "last_used": when(k.last_used_at) or "never",
                "state": "revoked"
                if k.revoked_at
                else ("expired" if api_keys.is_expired(k) else "active"),
            }
            for k in keys
        ]
        self.events = [
            {
                "when": when(e.occurred_at),
                "actor": e.actor_label,
                "action": e.action,
                "entity": f"{e.entity_type} {e.entity_id or ''}".strip(),
                "ip": e.ip or "",
                "details": ", ".join(f"{k}={v}" for k, v in e.details.items() if v is not None),
            }
            for e in page.items
        ]
        self.audit_total = page.total
        return None

    @rx.event
    def invite(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        self.invite_link = ""
        try:
            with session_scope() as session:
                actor = self._actor(session, ADMIN)
                link = users.invite(
                    session,
                    actor,
                    {
                        "email": form_data.get("invite_email", ""),
                        "full_name": form_data.get("invite_name", ""),
                        "role": form_data.get("invite_role", ""),
                    },
                )
                token = link.token
        except ValidationFailed as error:
            self.invite_errors = {
                f"invite_{k.replace('full_name', 'name')}": v for k, v in error.field_errors.items()
            }
            return None
        except DomainError as error:
            self.invite_errors = {"invite_email": error.message}
            return None
        self.invite_errors = {}
        self.invite_link = f"/invite/{token}"
        self._refresh()
        return rx.toast.success("Invitation created. Copy the link now; it is shown once.")

    @rx.event
    def change_role(self, user_id: str, role: str):  # type: ignore[no-untyped-def]
        return self._user_change(
            lambda s, a: users.change_role(s, a, int(user_id), Role(role)), "Role changed"
        )

    @rx.event
    def toggle_active(self, user_id: str, active: str):  # type: ignore[no-untyped-def]
        make_active = active != "yes"
        return self._user_change(
            lambda s, a: users.set_active(s, a, int(user_id), make_active),
            "Account activated" if make_active else "Account deactivated",
        )

    def _user_change(self, change, message: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                change(session, self._actor(session, ADMIN))
        except (DomainError, ValueError) as error:
            self._refresh()
            return rx.toast.error(getattr(error, "message", str(error)))
        self._refresh()
        return rx.toast.success(message)

    @rx.event
    def create_key(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        self.new_key_secret = ""
        scopes = [scope for scope in SCOPES if form_data.get(f"scope_{scope}")]
        try:
            with session_scope() as session:
                actor = self._actor(session, ADMIN)
                owner_email = (form_data.get("key_owner") or "").strip().lower()
                owner_id = None
                if owner_email:
                    owner = next(
                        (u for u in users.list_users(session, actor) if u.email == owner_email),
                        None,
                    )
                    if owner is None:
                        self.key_errors = {"key_owner": "no user has this email"}
                        return None
                    owner_id = owner.id
                created = api_keys.create(
                    session,
                    actor,
                    {
                        "name": form_data.get("key_name", ""),
                        "scopes": scopes,
                        "owner_user_id": owner_id,
                    },
                )
                secret = created.secret
        except ValidationFailed as error:
            self.key_errors = {
                f"key_{k.replace('owner_user_id', 'owner')}": v
                for k, v in error.field_errors.items()
            }
            return None
        self.key_errors = {}
        self.new_key_secret = secret
        self._refresh()
        return rx.toast.success("API key created. Copy it now; it is shown once.")

    @rx.event
    def revoke_key(self, key_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                api_keys.revoke(session, self._actor(session, ADMIN), int(key_id))
        except DomainError as error:
            return rx.toast.error(error.message)
        self._refresh()
        return rx.toast.success("API key revoked")

    @rx.event
    def filter_audit(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        self.audit_action = (form_data.get("audit_action") or "").strip()[:64]
        self.audit_actor = (form_data.get("audit_actor") or "").strip()[:64]
        self.audit_page = 1
        return self._refresh()

    @rx.event
    def audit_go(self, page: int):  # type: ignore[no-untyped-def]
        self.audit_page = min(max(1, page), self.audit_pages)
        return self._refresh()
