"""Admin area: users and invitations, API keys, the audit log: one state per tab.

Each tab's state loads only what that tab shows, when the tab is opened. Secrets shown once
(a new API key, an invitation link) never enter state: they go to the browser as a one-off
`set_value` event into a read-only field, so a reload or another socket with the same tab
token cannot see them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import ValidationFailed
from logistics_ai.models import ApiKey, Role, User
from logistics_ai.security.policy import SCOPES
from logistics_ai.services import api_keys, audit_integrity, audit_log, users
from state.admin_webhooks import WebhookAdminState
from state.auth import AuthState
from state.formatting import when
from state.service import Failed

ADMIN = (Role.admin,)
AUDIT_PAGE_SIZE = 50
# Element ids of the read-only fields that receive a secret shown once.
NEW_KEY_FIELD = "new-api-key"
INVITE_LINK_FIELD = "invite-link"


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    name: str
    role: str
    active: bool
    last_login: str


@dataclass(frozen=True)
class ApiKeyRow:
    id: int
    name: str
    prefix: str
    scopes: str
    owner: str
    expires: str
    last_used: str
    state: str


@dataclass(frozen=True)
class AuditRow:
    when: str
    actor: str
    action: str
    entity: str
    ip: str
    details: str


def user_row(user: User) -> UserRow:
    return UserRow(
        id=user.id or 0,
        email=user.email,
        name=user.full_name,
        role=user.role,
        active=user.is_active,
        last_login=when(user.last_login_at),
    )


def key_row(key: ApiKey, owners: dict[int, str]) -> ApiKeyRow:
    state = "revoked" if key.revoked_at else ("expired" if api_keys.is_expired(key) else "active")
    return ApiKeyRow(
        id=key.id or 0,
        name=key.name,
        prefix=f"lai_{key.prefix}_…",
        scopes=key.scopes,
        owner=owners.get(key.owner_user_id, str(key.owner_user_id)),
        expires=when(key.expires_at) or "never",
        last_used=when(key.last_used_at) or "never",
        state=state,
    )


def audit_row(event: audit_log.AuditEvent) -> AuditRow:
    return AuditRow(
        when=when(event.occurred_at),
        actor=event.actor_label,
        action=event.action,
        entity=f"{event.entity_type} {event.entity_id or ''}".strip(),
        ip=event.ip or "",
        details=", ".join(f"{k}={v}" for k, v in event.details.items() if v is not None),
    )


class AdminState(AuthState):
    """The /admin page itself: admins only; the users tab opens first."""

    @rx.event
    async def load(self) -> EventSpec | None:
        # A reload shows no secret-once panel: the secret itself was never kept.
        (await self.get_state(AdminUsersState)).invite_created = False
        (await self.get_state(ApiKeysState)).key_created = False
        (await self.get_state(WebhookAdminState)).secret_created = False
        return await self._guard(ADMIN) or AdminUsersState.refresh()

    @rx.event
    async def open_tab(self, tab: str) -> EventSpec | None:
        """Each tab loads its own rows when it is opened, not with the page."""
        loaders = {
            "users": AdminUsersState.refresh,
            "keys": ApiKeysState.refresh,
            "webhooks": WebhookAdminState.refresh,
            "audit": AuditLogState.refresh,
        }
        loader = loaders.get(tab)
        return loader() if loader else None


class AdminUsersState(AuthState):
    people: rx.Field[list[UserRow]] = rx.field(default_factory=list)
    invite_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    invite_created: rx.Field[bool] = rx.field(False)

    @rx.event
    async def refresh(self) -> EventSpec | None:
        return await self._reload_people()

    @rx.event
    async def invite(self, form_data: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        self.invite_created = False
        payload = {
            "email": form_data.get("invite_email", ""),
            "full_name": form_data.get("invite_name", ""),
            "role": form_data.get("invite_role", ""),
        }
        result = await self._call(lambda s, actor: users.invite(s, actor, payload).token, ADMIN)
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.invite_errors = {
                f"invite_{k.replace('full_name', 'name')}": v
                for k, v in result.field_errors.items()
            } or {"invite_email": result.message}
            return None
        self.invite_errors = {}
        self.invite_created = True
        return [
            rx.set_value(INVITE_LINK_FIELD, f"/invite/{result.value}"),
            await self._reload_people()
            or rx.toast.success("Invitation created. Copy the link now; it is shown once."),
        ]

    async def _reload_people(self) -> EventSpec | None:
        result = await self._call(users.list_users, ADMIN)
        if isinstance(result, Failed):
            return result.event
        self.people = [user_row(u) for u in result.value]
        return None

    @rx.event
    async def change_role(self, user_id: int, role: str) -> EventSpec | None:
        if role not in {r.value for r in Role}:
            return rx.toast.error("Unknown role.")
        new_role = Role(role)
        return await self._change(
            lambda s, actor: users.change_role(s, actor, user_id, new_role), "Role changed"
        )

    @rx.event
    async def toggle_active(self, user_id: int, active: bool) -> EventSpec | None:
        make_active = not active
        return await self._change(
            lambda s, actor: users.set_active(s, actor, user_id, make_active),
            "Account activated" if make_active else "Account deactivated",
        )

    async def _change(
        self, change: Callable[[Session, Actor], User], message: str
    ) -> EventSpec | None:
        result = await self._call(change, ADMIN)
        reloaded = await self._reload_people()
        if isinstance(result, Failed):
            return result.event
        return reloaded or rx.toast.success(message)


def _owner_id(session: Session, actor: Actor, email: str) -> int | None:
    """The user an API key acts as, by email (empty: the admin who creates it)."""
    if not email:
        return None
    owner = next((u for u in users.list_users(session, actor) if u.email == email), None)
    if owner is None:
        raise ValidationFailed(
            "no user has this email",
            details={"fields": {"owner_user_id": "no user has this email"}},
        )
    return owner.id


class ApiKeysState(AuthState):
    keys: rx.Field[list[ApiKeyRow]] = rx.field(default_factory=list)
    key_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    key_created: rx.Field[bool] = rx.field(False)

    @rx.event
    async def refresh(self) -> EventSpec | None:
        return await self._reload_keys()

    async def _reload_keys(self) -> EventSpec | None:
        def listing(session: Session, actor: Actor) -> list[ApiKeyRow]:
            owners = {u.id or 0: u.email for u in users.list_users(session, actor)}
            return [key_row(k, owners) for k in api_keys.list_keys(session, actor)]

        result = await self._call(listing, ADMIN)
        if isinstance(result, Failed):
            return result.event
        self.keys = result.value
        return None

    @rx.event
    async def create_key(self, form_data: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        self.key_created = False
        scopes = [scope for scope in SCOPES if form_data.get(f"scope_{scope}")]
        owner_email = (form_data.get("key_owner") or "").strip().lower()
        name = form_data.get("key_name", "")

        def create(session: Session, actor: Actor) -> str:
            payload = {
                "name": name,
                "scopes": scopes,
                "owner_user_id": _owner_id(session, actor, owner_email),
            }
            return api_keys.create(session, actor, payload).secret

        result = await self._call(create, ADMIN)
        if isinstance(result, Failed):
            if result.signed_out or not result.field_errors:
                return result.event
            self.key_errors = {
                f"key_{k.replace('owner_user_id', 'owner')}": v
                for k, v in result.field_errors.items()
            }
            return None
        self.key_errors = {}
        self.key_created = True
        return [
            rx.set_value(NEW_KEY_FIELD, result.value),
            await self._reload_keys()
            or rx.toast.success("API key created. Copy it now; it is shown once."),
        ]

    @rx.event
    async def revoke_key(self, key_id: int) -> EventSpec | None:
        result = await self._call(lambda s, actor: api_keys.revoke(s, actor, key_id), ADMIN)
        if isinstance(result, Failed):
            return result.event
        return await self._reload_keys() or rx.toast.success("API key revoked")


class AuditLogState(AuthState):
    events: rx.Field[list[AuditRow]] = rx.field(default_factory=list)
    integrity_state: rx.Field[str] = rx.field("")  # "", "intact" or "tampered"
    integrity_summary: rx.Field[str] = rx.field("")
    integrity_problems: rx.Field[list[str]] = rx.field(default_factory=list)
    audit_action: rx.Field[str] = rx.field("")
    audit_actor: rx.Field[str] = rx.field("")
    audit_page: rx.Field[int] = rx.field(1)
    audit_total: rx.Field[int] = rx.field(0)

    @rx.var
    def audit_pages(self) -> int:
        return max(1, -(-self.audit_total // AUDIT_PAGE_SIZE))

    @rx.event
    async def refresh(self) -> EventSpec | None:
        return await self._load()

    async def _load(self) -> EventSpec | None:
        filters = {
            "action": self.audit_action or None,
            "actor": self.audit_actor or None,
            "page": self.audit_page,
            "page_size": AUDIT_PAGE_SIZE,
        }
        result = await self._call(lambda s, actor: audit_log.list_events(s, actor, filters), ADMIN)
        if isinstance(result, Failed):
            return result.event
        self.events = [audit_row(e) for e in result.value.items]
        self.audit_total = result.value.total
        return None

    @rx.event
    async def filter_audit(self, form_data: dict[str, str]) -> EventSpec | None:
        self.audit_action = (form_data.get("audit_action") or "").strip()[:64]
        self.audit_actor = (form_data.get("audit_actor") or "").strip()[:64]
        self.audit_page = 1
        return await self._load()

    @rx.event
    async def audit_go(self, page: int) -> EventSpec | None:
        self.audit_page = min(max(1, page), self.audit_pages)
        return await self._load()

    @rx.event
    async def verify_integrity(self) -> EventSpec | None:
        """Re-check every hash chain and signed checkpoint (as `python -m logistics_ai audit
        verify` does) and show the outcome."""
        result = await self._call(audit_integrity.verify_as, ADMIN)
        if isinstance(result, Failed):
            return result.event
        report = result.value
        self.integrity_state = "intact" if report.ok else "tampered"
        self.integrity_summary = f"{report.summary()} (checked {when(report.checked_at)})"
        self.integrity_problems = report.problems[:50]
        return None
