"""Shared router settings: every documented error uses the one envelope."""

from __future__ import annotations

from typing import Any

from logistics_ai.api.schemas.common import ErrorEnvelope

_ERR = {"model": ErrorEnvelope}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_ERR, "description": "Malformed request (e.g. a body that is not JSON)"},
    401: {**_ERR, "description": "Missing or invalid credentials"},
    403: {**_ERR, "description": "Not allowed for this role or API key scope"},
    404: {**_ERR, "description": "Not found, or not visible to the caller"},
    409: {**_ERR, "description": "Conflicts with the current state"},
    422: {**_ERR, "description": "Invalid input; details.fields names each field"},
    429: {**_ERR, "description": "Rate limited; see Retry-After"},
}
PUBLIC_ERRORS = {code: ERRORS[code] for code in (400, 404, 422, 429)}
