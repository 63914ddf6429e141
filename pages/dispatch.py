"""Dispatch dashboard (desktop): shipment board with filters, fleet list, manual assignment."""

import reflex as rx
from reflex.vars import ObjectVar

from components.copilot_panel import briefing_card, copilot_panel
from components.layout import app_shell
from components.live_map import LiveFleetItem, LiveFleetText, live_map
from components.pager import pager
from components.status_badge import status_badge
from logistics_ai.models import ShipmentStatus
from logistics_ai.services.shipment_status import ASSIGNABLE
from state.dispatch import (
    AutoDispatchState,
    DispatchKpiState,
    DispatchMapState,
    DispatchState,
    FleetRow,
    PlanRouteRow,
)
from state.formatting import ShipmentRow

CELL = {"padding": "6px 8px", "vertical-align": "top", "font-size": "13px"}


def _filters() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.el.label("Status", html_for="status-filter", style={"font-size": "13px"}),
            rx.el.select(
                rx.el.option("All statuses", value="all"),
                *[
                    rx.el.option(s.value.replace("_", " ").capitalize(), value=s.value)
                    for s in ShipmentStatus
                ],
                id="status-filter",
                value=DispatchState.status_filter,
                on_change=DispatchState.set_status_filter,
                style={"height": "32px", "padding": "0 8px"},
            ),
            spacing="1",
        ),
        rx.vstack(
            rx.el.label("Service date", html_for="date-filter", style={"font-size": "13px"}),
            rx.input(
                id="date-filter",
                type="date",
                value=DispatchState.date_filter,
                on_change=DispatchState.set_date_filter,
            ),
            spacing="1",
        ),
        rx.form(
            rx.hstack(
                rx.vstack(
                    rx.el.label("Search", html_for="search", style={"font-size": "13px"}),
                    rx.input(
                        id="search",
                        name="search",
                        placeholder="Code, recipient, address",
                        width="260px",
                    ),
                    spacing="1",
                ),
                rx.button("Search", type="submit", variant="soft"),
                align="end",
            ),
            on_submit=DispatchState.apply_search,
            reset_on_submit=False,
            aria_label="Search shipments",
        ),
        rx.spacer(),
        rx.text(DispatchState.range_label, size="2", color_scheme="gray", id="result-count"),
        align="end",
        width="100%",
        wrap="wrap",
        spacing="4",
    )


def _driver_picker(row: ObjectVar[ShipmentRow]) -> rx.Component:
    return rx.el.select(
        rx.el.option("Unassigned", value="none"),
        rx.foreach(
            DispatchMapState.fleet,
            lambda driver: rx.el.option(driver.name, value=driver.driver_id.to_string()),
        ),
        value=rx.cond(row.driver_id != "", row.driver_id, "none"),
        on_change=lambda value: DispatchState.assign(row.id, value),
        disabled=~rx.Var.create([s.value for s in ASSIGNABLE]).contains(row.status),
        custom_attrs={"aria-label": "Driver for " + row.tracking_code},
        style={"height": "28px", "max-width": "170px"},
    )


def _shipment_row(row: ObjectVar[ShipmentRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.code(row.tracking_code), style=CELL),
        rx.el.td(status_badge(row.status, row.status_label), style=CELL),
        rx.el.td(
            row.pickup,
            rx.el.br(),
            rx.text(row.pickup_window, color_scheme="gray"),
            style=CELL,
        ),
        rx.el.td(
            row.dropoff,
            rx.el.br(),
            rx.text(row.dropoff_window, color_scheme="gray"),
            style=CELL,
        ),
        rx.el.td(row.recipient, style=CELL),
        rx.el.td(row.weight, style=CELL),
        rx.el.td(
            rx.hstack(
                _driver_picker(row),
                rx.cond(
                    (row.driver_id == "")
                    & ((row.status == "requested") | (row.status == "scheduled")),
                    rx.button(
                        "Auto",
                        on_click=DispatchState.auto_assign(row.id),
                        size="1",
                        variant="soft",
                        aria_label="Auto-assign " + row.tracking_code + " to the best route",
                    ),
                ),
                spacing="1",
                align="center",
            ),
            style=CELL,
        ),
        data_code=row.tracking_code,
        custom_attrs={
            "data-shipment-id": row.id,
            "data-status": row.status,
            # The driver selected on the map or in the list: their shipments are highlighted.
            "data-selected": rx.cond(_row_selected(row), "true", "false"),
        },
        style={
            "border-bottom": "1px solid var(--gray-4)",
            "background": rx.cond(_row_selected(row), "var(--accent-3)", "transparent"),
        },
    )


def _row_selected(row: ObjectVar[ShipmentRow]) -> rx.Var[bool]:
    return (row.driver_id != "") & (row.driver_id == DispatchMapState.selected_driver)


def _map_legend() -> rx.Component:
    items = [
        ("#3e63dd", "On route"),
        ("#18794e", "Available"),
        ("#ad5700", "On break"),
        ("#60646c", "Off duty"),
    ]
    return rx.hstack(
        *[
            rx.hstack(
                rx.box(
                    width="10px",
                    height="10px",
                    border_radius="50%",
                    background=color,
                    aria_hidden="true",
                ),
                rx.text(label, size="1"),
                spacing="1",
                align="center",
            )
            for color, label in items
        ],
        rx.text("Squares: stops (red border: late risk)", size="1"),
        spacing="3",
        wrap="wrap",
    )


def _fleet_map() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading("Live map", size="3", as_="h2"),
            rx.spacer(),
            _map_legend(),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        live_map(
            "Fleet map: routes, stops and each driver's position",
            markers=DispatchMapState.fleet_markers,
            lines=DispatchMapState.map_routes,
            stops=DispatchMapState.map_stops,
            on_select=DispatchMapState.select_driver,
            follow_fleet=True,
            routes_day=DispatchMapState.map_day,
            routes_read_at=DispatchMapState.map_read_at,
            selected_line=DispatchMapState.selected_driver,
            height="380px",
            id="fleet-map",
        ),
        width="100%",
    )


def _unseen_banner() -> rx.Component:
    """Shipments that arrived live and match the filters but are not on the shown page."""
    count = DispatchState.unseen_count
    return rx.cond(
        count > 0,
        rx.callout.root(
            rx.hstack(
                rx.callout.text(
                    count,
                    rx.cond(count == 1, " new shipment matches", " new shipments match"),
                    " your filters.",
                ),
                rx.button("Show", size="1", on_click=DispatchState.show_unseen, id="show-unseen"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            role="status",
            id="unseen-shipments",
            size="1",
            width="100%",
        ),
    )


def _shipments_table() -> rx.Component:
    headers = ["Tracking", "Status", "Pickup", "Drop-off", "Recipient", "Load", "Driver"]
    return rx.box(
        rx.el.table(
            rx.el.caption("Shipments", style={"text-align": "left", "font-weight": "600"}),
            rx.el.thead(
                rx.el.tr(
                    *[
                        rx.el.th(h, scope="col", style={**CELL, "text-align": "left"})
                        for h in headers
                    ]
                )
            ),
            rx.el.tbody(rx.foreach(DispatchState.rows, _shipment_row)),
            style={"width": "100%", "border-collapse": "collapse"},
            id="shipments-table",
        ),
        pager(DispatchState.page, DispatchState.page_count, DispatchState.go_to_page, "shipments"),
        width="100%",
        overflow_x="auto",
        # Scrolls sideways on narrow screens: focusable and named for keyboard users.
        tab_index=0,
        role="region",
        aria_label="Shipments table",
    )


def _alerts() -> rx.Component:
    return rx.card(
        rx.heading("Late-risk alerts (", DispatchState.alerts.length(), ")", size="3", as_="h2"),
        rx.cond(
            DispatchState.alerts.length() == 0,
            rx.text("Every open stop is on time.", size="2", color_scheme="gray"),
            rx.el.ul(
                rx.foreach(
                    DispatchState.alerts,
                    lambda a: rx.el.li(
                        rx.text(rx.code(a.code), " ", a.stop, " · ", a.driver, size="2"),
                        rx.text(
                            "ETA ",
                            a.eta,
                            " after window end ",
                            a.window_end,
                            size="1",
                            color_scheme="red",
                        ),
                        style={"list-style": "none", "padding": "4px 0"},
                    ),
                ),
                aria_label="Late-risk alerts",
                # Scrolls: focusable so keyboard users can scroll it (axe scrollable-region).
                tab_index=0,
                style={"padding": "0", "margin": "0", "max-height": "220px", "overflow-y": "auto"},
            ),
        ),
        width="300px",
        id="late-alerts",
    )


def _kpi_tile(label: str, key: str, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.text(label, size="1", color_scheme="gray", as_="div"),
        rx.text(value, size="6", weight="bold", as_="div", custom_attrs={"data-kpi": key}),
        min_width="130px",
        flex="1",
    )


def _kpi_tiles() -> rx.Component:
    """Today's tiles; the live fan-out replaces `DispatchKpiState.kpis` as events arrive."""
    kpis = DispatchKpiState.kpis
    return rx.flex(
        _kpi_tile("Open", "open", kpis.open),
        _kpi_tile("In transit", "in_transit", kpis.in_transit),
        _kpi_tile("Delivered today", "delivered_today", kpis.delivered_today),
        _kpi_tile("On-time rate", "on_time_rate", kpis.on_time_rate),
        _kpi_tile("Late risk", "late_risk", kpis.late_risk),
        role="group",
        aria_label="Today's key figures",
        id="kpi-tiles",
        gap="3",
        wrap="wrap",
        width="100%",
    )


def _driver_selected(d: ObjectVar[FleetRow]) -> rx.Var[bool]:
    return DispatchMapState.selected_driver == d.driver_id.to_string()


def _live_text(d: ObjectVar[FleetRow], field: str, text: rx.Var[str]) -> rx.Component:
    """A fleet row's field as the page's live store has it (a status change is pushed as one
    row, not as the whole fleet list: docs/realtime.md)."""
    return LiveFleetText.create(
        driver_id=d.driver_id,
        field=field,
        text=text,
        day=DispatchMapState.map_day,
        read_at=DispatchMapState.map_read_at,
    )


def _fleet() -> rx.Component:
    return rx.card(
        rx.heading("Drivers", size="4", as_="h2"),
        rx.el.ul(
            rx.foreach(
                DispatchMapState.fleet,
                lambda d: LiveFleetItem.create(
                    rx.hstack(
                        rx.vstack(
                            # Selects the driver's marker (and the marker selects this row).
                            rx.el.button(
                                d.name,
                                type="button",
                                on_click=DispatchMapState.select_driver(d.driver_id.to_string()),
                                aria_pressed=rx.cond(_driver_selected(d), "true", "false"),
                                title="Show on the map",
                                style={
                                    "font-weight": "500",
                                    "font-size": "14px",
                                    "background": "none",
                                    "border": "none",
                                    "padding": "0",
                                    "cursor": "pointer",
                                    "text-align": "left",
                                    "color": "var(--accent-11)",
                                },
                            ),
                            rx.text(d.vehicle, size="1", color_scheme="gray"),
                            spacing="0",
                        ),
                        rx.spacer(),
                        rx.vstack(
                            rx.badge(
                                _live_text(d, "statusLabel", d.status_label), variant="outline"
                            ),
                            rx.text(
                                "stops ",
                                _live_text(d, "progress", d.progress),
                                size="1",
                                color_scheme="gray",
                            ),
                            spacing="0",
                            align="end",
                        ),
                        width="100%",
                    ),
                    # The live map and `bench realtime` read these (see docs/realtime.md);
                    # the item itself writes data-driver-id, data-lat and data-lng.
                    driver_id=d.driver_id,
                    lat_text=d.lat_text,
                    lng_text=d.lng_text,
                    seen_at=d.seen_at,
                    status=d.status,
                    day=DispatchMapState.map_day,
                    read_at=DispatchMapState.map_read_at,
                    custom_attrs={
                        "data-selected": rx.cond(_driver_selected(d), "true", "false"),
                    },
                    style={
                        "padding": "6px 4px",
                        "border-bottom": "1px solid var(--gray-4)",
                        "list-style": "none",
                        "background": rx.cond(
                            _driver_selected(d), "var(--accent-3)", "transparent"
                        ),
                    },
                ),
            ),
            aria_label="Drivers",
            style={"padding": "0", "margin": "0"},
        ),
        width="300px",
        min_width="260px",
    )


def _auto_dispatch_bar() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("route", size=16),
            "Auto-dispatch",
            on_click=AutoDispatchState.auto_dispatch,
            loading=AutoDispatchState.planning,
            aria_label="Auto-dispatch: optimise routes for the selected day",
        ),
        rx.cond(
            AutoDispatchState.planning,
            rx.hstack(
                rx.progress(
                    value=AutoDispatchState.plan_progress,
                    width="200px",
                    aria_label="Optimisation progress",
                ),
                rx.text(
                    "Optimising routes… ",
                    AutoDispatchState.plan_elapsed,
                    " s of ",
                    AutoDispatchState.plan_budget,
                    " s",
                    size="2",
                    id="plan-progress",
                    role="status",
                ),
                align="center",
            ),
        ),
        align="center",
        spacing="3",
    )


def _plan_route_row(route: ObjectVar[PlanRouteRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(route.driver, rx.el.br(), rx.text(route.vehicle, color_scheme="gray"), style=CELL),
        rx.el.td(route.stops.to_string(), style=CELL),
        rx.el.td(route.distance, style=CELL),
        rx.el.td(route.duration, style=CELL),
        rx.el.td(route.load, style=CELL),
        rx.el.td(rx.text(route.sequence, size="1"), style=CELL),
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def _plan_dialog() -> rx.Component:
    headers = ["Driver", "Stops", "Distance", "Duration", "Peak load", "Sequence"]
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Proposed plan"),
            rx.dialog.description(AutoDispatchState.plan_summary, id="plan-summary"),
            rx.box(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col", style={**CELL, "text-align": "left"})
                                for h in headers
                            ]
                        )
                    ),
                    rx.el.tbody(rx.foreach(AutoDispatchState.plan_routes, _plan_route_row)),
                    id="plan-routes",
                    style={"width": "100%", "border-collapse": "collapse"},
                ),
                max_height="50vh",
                overflow_y="auto",
                margin_top="12px",
                tab_index=0,
            ),
            rx.cond(
                AutoDispatchState.plan_unassigned.length() > 0,
                rx.box(
                    rx.text("Not placed:", weight="bold", size="2"),
                    rx.foreach(
                        AutoDispatchState.plan_unassigned,
                        lambda u: rx.text(rx.code(u.code), " ", u.reason, size="1"),
                    ),
                    margin_top="8px",
                    max_height="20vh",
                    overflow_y="auto",
                    tab_index=0,
                    id="plan-unassigned",
                ),
            ),
            rx.hstack(
                rx.button("Discard", on_click=AutoDispatchState.discard_plan, variant="soft"),
                rx.button("Apply plan", on_click=AutoDispatchState.apply_plan),
                justify="end",
                padding_top="12px",
            ),
            max_width="980px",
        ),
        open=AutoDispatchState.plan_id != "",
    )


def dispatch_page() -> rx.Component:
    return app_shell(
        "Dispatch",
        rx.hstack(
            rx.heading("Today's operations", size="6", as_="h1"),
            rx.spacer(),
            _auto_dispatch_bar(),
            width="100%",
            align="center",
        ),
        _plan_dialog(),
        _kpi_tiles(),
        rx.hstack(
            # The map shows the whole fleet; the filters below it narrow the table only.
            rx.vstack(
                _fleet_map(),
                _filters(),
                _unseen_banner(),
                _shipments_table(),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                _alerts(), briefing_card(), copilot_panel(), _fleet(), spacing="3", width="340px"
            ),
            align="start",
            width="100%",
            spacing="4",
        ),
    )
