"""Admin area (desktop): users and invitations, API keys, webhooks, audit log."""

import reflex as rx
from reflex.vars import ObjectVar

from components.admin_parts import CELL, shown_once, table
from components.field import field_error, labeled_input
from components.layout import app_shell
from components.pager import pager
from logistics_ai.models import Role
from logistics_ai.security.policy import SCOPES
from pages.admin_webhooks import webhooks_tab
from state.admin import (
    INVITE_LINK_FIELD,
    NEW_KEY_FIELD,
    AdminState,
    AdminUsersState,
    ApiKeyRow,
    ApiKeysState,
    AuditLogState,
    AuditRow,
    UserRow,
)

ROLES = [r.value for r in Role]


def _user_row(u: ObjectVar[UserRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(u.name, style=CELL),
        rx.el.td(u.email, style=CELL),
        rx.el.td(
            rx.el.select(
                *[rx.el.option(role, value=role) for role in ROLES],
                value=u.role,
                on_change=lambda role: AdminUsersState.change_role(u.id, role),
                custom_attrs={"aria-label": "Role of " + u.email},
            ),
            style=CELL,
        ),
        rx.el.td(rx.cond(u.active, "yes", "no"), style=CELL),
        rx.el.td(u.last_login, style=CELL),
        rx.el.td(
            rx.button(
                rx.cond(u.active, "Deactivate", "Activate"),
                on_click=AdminUsersState.toggle_active(u.id, u.active),
                size="1",
                variant="soft",
                aria_label=rx.cond(u.active, "Deactivate ", "Activate ") + u.email,
            ),
            style=CELL,
        ),
        data_email=u.email,
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def _users_tab() -> rx.Component:
    e = AdminUsersState.invite_errors
    return rx.vstack(
        rx.form(
            rx.hstack(
                labeled_input("Email", "invite_email", e.get("invite_email", ""), type="email"),
                labeled_input("Full name", "invite_name", e.get("invite_name", "")),
                rx.vstack(
                    rx.el.label("Role", html_for="invite_role", style={"font-size": "14px"}),
                    rx.el.select(
                        *[
                            rx.el.option(r, value=r)
                            for r in ("driver", "dispatcher", "admin", "customer")
                        ],
                        id="invite_role",
                        name="invite_role",
                        style={"height": "32px"},
                    ),
                    field_error(e.get("invite_role", ""), "invite_role"),
                    spacing="1",
                ),
                rx.button("Create invitation", type="submit"),
                align="end",
                spacing="3",
                width="100%",
            ),
            on_submit=AdminUsersState.invite,
            aria_label="Invite a user",
        ),
        shown_once(
            AdminUsersState.invite_created,
            "Send this link to the invitee (shown once)",
            INVITE_LINK_FIELD,
            "link",
        ),
        table(
            "Users",
            ["Name", "Email", "Role", "Active", "Last login", ""],
            AdminUsersState.people,
            _user_row,
            "users-table",
        ),
        width="100%",
        spacing="3",
    )


def _key_row(k: ObjectVar[ApiKeyRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(k.name, style=CELL),
        rx.el.td(rx.code(k.prefix), style=CELL),
        rx.el.td(k.scopes, style=CELL),
        rx.el.td(k.owner, style=CELL),
        rx.el.td(k.expires, style=CELL),
        rx.el.td(k.last_used, style=CELL),
        rx.el.td(k.state, style=CELL),
        rx.el.td(
            rx.cond(
                k.state == "active",
                rx.button(
                    "Revoke",
                    on_click=ApiKeysState.revoke_key(k.id),
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    aria_label="Revoke API key " + k.name,
                ),
            ),
            style=CELL,
        ),
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def _keys_tab() -> rx.Component:
    e = ApiKeysState.key_errors
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.hstack(
                    labeled_input(
                        "Key name",
                        "key_name",
                        e.get("key_name", ""),
                        placeholder="e.g. Webshop integration",
                    ),
                    labeled_input(
                        "Acts as user (email, optional)",
                        "key_owner",
                        e.get("key_owner", ""),
                        placeholder="defaults to you",
                    ),
                    width="100%",
                ),
                rx.el.fieldset(
                    rx.el.legend("Scopes", style={"font-size": "14px"}),
                    rx.hstack(
                        *[
                            rx.el.label(
                                rx.el.input(type="checkbox", name=f"scope_{s}", id=f"scope_{s}"),
                                " " + s,
                                html_for=f"scope_{s}",
                                style={"font-size": "14px"},
                            )
                            for s in SCOPES
                        ],
                        spacing="3",
                        wrap="wrap",
                    ),
                    style={"border": "none", "padding": "0"},
                ),
                field_error(e.get("key_scopes", ""), "key_scopes"),
                rx.button("Create API key", type="submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=ApiKeysState.create_key,
            aria_label="Create an API key",
        ),
        shown_once(
            ApiKeysState.key_created,
            "Copy this key now; it will not be shown again",
            NEW_KEY_FIELD,
            "key",
        ),
        table(
            "API keys",
            ["Name", "Prefix", "Scopes", "Acts as", "Expires", "Last used", "State", ""],
            ApiKeysState.keys,
            _key_row,
            "keys-table",
        ),
        width="100%",
        spacing="3",
    )


def _event_row(ev: ObjectVar[AuditRow]) -> rx.Component:
    return rx.el.tr(
        *[
            rx.el.td(getattr(ev, f), style=CELL)
            for f in ("when", "actor", "action", "entity", "ip", "details")
        ],
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def _audit_tab() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                labeled_input("Action starts with", "audit_action", placeholder="e.g. auth."),
                labeled_input("Actor contains", "audit_actor", placeholder="email or api_key"),
                rx.button("Filter", type="submit", variant="soft"),
                align="end",
                spacing="3",
            ),
            on_submit=AuditLogState.filter_audit,
            reset_on_submit=False,
            aria_label="Filter the audit log",
        ),
        table(
            "Audit log",
            ["When", "Actor", "Action", "Entity", "IP", "Details"],
            AuditLogState.events,
            _event_row,
            "audit-table",
        ),
        pager(AuditLogState.audit_page, AuditLogState.audit_pages, AuditLogState.audit_go, "audit"),
        _integrity(),
        width="100%",
        spacing="3",
    )


def _integrity() -> rx.Component:
    """The hash chain's verification state: run on demand, it reads the whole trail."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Tamper evidence", size="3", as_="h2"),
            rx.button(
                "Verify integrity",
                on_click=AuditLogState.verify_integrity,
                variant="soft",
                aria_label="Verify the audit trail's hash chains and signed checkpoints",
            ),
            align="center",
            spacing="3",
        ),
        rx.cond(
            AuditLogState.integrity_state != "",
            rx.callout(
                AuditLogState.integrity_summary,
                color_scheme=rx.cond(AuditLogState.integrity_state == "intact", "green", "red"),
                role="status",
                id="audit-integrity",
                width="100%",
            ),
        ),
        rx.el.ul(
            rx.foreach(AuditLogState.integrity_problems, lambda p: rx.el.li(rx.text(p, size="1"))),
            aria_label="Integrity problems",
        ),
        width="100%",
        spacing="2",
    )


def admin_page() -> rx.Component:
    return app_shell(
        "Admin",
        rx.heading("Administration", size="6", as_="h1"),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Users", value="users"),
                rx.tabs.trigger("API keys", value="keys"),
                rx.tabs.trigger("Webhooks", value="webhooks"),
                rx.tabs.trigger("Audit log", value="audit"),
            ),
            rx.tabs.content(_users_tab(), value="users", padding_top="12px"),
            rx.tabs.content(_keys_tab(), value="keys", padding_top="12px"),
            rx.tabs.content(webhooks_tab(), value="webhooks", padding_top="12px"),
            rx.tabs.content(_audit_tab(), value="audit", padding_top="12px"),
            default_value="users",
            on_change=AdminState.open_tab,
            width="100%",
        ),
    )
