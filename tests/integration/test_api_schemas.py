"""The OpenAPI document's schema names: unique, readable, one per model."""

from __future__ import annotations

import re

from logistics_ai.api.app import create_api


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
