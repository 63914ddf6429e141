"""The OpenAPI document's schema names: unique, readable, one per model."""

from __future__ import annotations

import re

from logistics_ai.api.app import create_api
from logistics_ai.api.schemas.shipments import ShipmentOut
from logistics_ai.db import session_scope
from logistics_ai.models import Shipment
from logistics_ai.services import shipments
from tests.support.world import World, booking


def test_component_names_are_plain_and_unique() -> None:
    # FastAPI falls back to module-path names ("logistics_ai__...__StopOut") when two models
    # share a name, and pydantic names an unnamed generic "Page_X_": both are caught here.
    names = list(create_api().openapi()["components"]["schemas"])
    assert names, "no schemas in the OpenAPI document"
    # Multipart form bodies are named by FastAPI after their operation (Body_<operation>):
    # unique by construction, so they are the one accepted exception.
    odd = [
        n for n in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n) and not n.startswith("Body_")
    ]
    assert odd == []


def test_lists_are_pages_with_the_same_shape() -> None:
    schemas = create_api().openapi()["components"]["schemas"]
    pages = {name: schema for name, schema in schemas.items() if name.endswith("Page")}
    assert {"ShipmentPage", "AuditPage"} <= set(pages)
    for schema in pages.values():
        assert {"items", "total", "page", "page_size", "pages"} <= set(schema["properties"])


def test_a_response_reads_an_expired_attribute_from_the_database(world: World) -> None:
    # Out reads a mapped object's loaded columns from its __dict__; an attribute expired since
    # (here: changed by another transaction) must still be read through, not missed or stale.
    with session_scope() as s:
        booked_id = shipments.create_shipment(s, world.alice, booking(recipient_name="Before")).id
    with session_scope() as s:
        booked = s.get(Shipment, booked_id)
        assert booked is not None
        loaded = ShipmentOut.model_validate(booked)
        assert (loaded.recipient_name, loaded.required_skills) == ("Before", [])
        with session_scope() as other:
            changed = other.get(Shipment, booked_id)
            assert changed is not None
            changed.recipient_name = "After"
            changed.required_skills = "refrigerated"
        s.expire(booked, ["recipient_name", "required_skills"])
        assert "recipient_name" not in booked.__dict__
        fresh = ShipmentOut.model_validate(booked)
        assert (fresh.recipient_name, fresh.required_skills) == ("After", ["refrigerated"])
        assert fresh.model_dump(exclude={"recipient_name", "required_skills"}) == loaded.model_dump(
            exclude={"recipient_name", "required_skills"}
        )


def test_the_shipment_list_documents_each_filter_as_a_query_parameter() -> None:
    operation = create_api().openapi()["paths"]["/api/v1/shipments"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(parameters) == {
        "status",
        "date_from",
        "date_to",
        "search",
        "driver_id",
        "unassigned_only",
        "page",
        "page_size",
    }
    assert not any(p["required"] for p in parameters.values())
    assert parameters["page_size"]["schema"]["maximum"] == 100
    statuses = parameters["status"]["schema"]["anyOf"][0]
    assert {"requested", "delivered", "cancelled"} <= set(statuses["enum"])
    assert "$ref" not in str(operation["parameters"])  # nothing points into a model's $defs
