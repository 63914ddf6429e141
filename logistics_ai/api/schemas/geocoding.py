"""Address lookup."""

from __future__ import annotations

from pydantic import Field

from logistics_ai.api.schemas.common import Out


class GeocodeOut(Out):
    lat: float
    lon: float
    label: str
    approximate: bool = Field(description="True when placed by the offline demo gazetteer")
