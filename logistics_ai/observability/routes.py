"""The route template of a request: a bounded label for metrics, logs and span names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def route_template(scope: Mapping[str, Any]) -> str:
    """The full route template, e.g. /api/v1/shipments/{shipment_id}.

    Routes of nested routers know only their own part of the path, so the prefix is
    recovered from the real path, whose tail is that part with the parameters filled in.
    Paths no API route matched (Reflex pages, assets) are grouped under one label.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "unmatched"
    if template == "":  # the mount of the Reflex app: pages, assets, /_event, /ping
        path = scope.get("path", "")
        return path if path in ("/_event", "/ping", "/_upload", "/_health") else "reflex"
    filled = template
    for name, value in scope.get("path_params", {}).items():
        filled = filled.replace("{" + name + "}", str(value))
    path = scope.get("path", "")
    return path[: len(path) - len(filled)] + template if path.endswith(filled) else template
