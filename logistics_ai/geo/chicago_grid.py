"""Street addresses of the demo city placed on Chicago's address grid.

Chicago numbers its streets from two base lines, State Street (0 east/west) and Madison
Street (0 north/south), 800 numbers to the mile. A house number on a north-south street
therefore gives the latitude, and the street's own grid position gives the longitude (and
the other way round for east-west streets). Numbered streets ("E 53rd St") sit at 100 x
their number south. Only the major streets the demo uses are listed; anything else is left
to the neighbourhood gazetteer, so an unknown address is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ORIGIN_LAT, ORIGIN_LON = 41.8820, -87.6278  # State & Madison
LAT_PER_MILE = 1 / 69.05
LON_PER_MILE = 1 / 51.52  # at 41.9 N
PER_MILE = 800

# street name -> (axis, grid number of the street's line: + east / + north)
# axis "ns": the street runs north-south, so its grid number is east(+)/west(-).
NS_STREETS: dict[str, int] = {
    "state": 0,
    "wabash": 45,
    "michigan": 100,
    "dearborn": -36,
    "clark": -100,
    "lasalle": -140,
    "wells": -200,
    "franklin": -300,
    "orleans": -340,
    "sedgwick": -400,
    "halsted": -800,
    "morgan": -1000,
    "sheffield": -1000,
    "racine": -1200,
    "loomis": -1400,
    "ashland": -1600,
    "damen": -2000,
    "hoyne": -2100,
    "leavitt": -2200,
    "western": -2400,
    "california": -2800,
    "kedzie": -3200,
    "pulaski": -4000,
    "cicero": -4800,
    "king": 400,
    "cottage grove": 800,
    "lake park": 1400,
    "harper": 1500,
    "indiana": 200,
    "prairie": 300,
    "wentworth": -200,
    "ravenswood": -1800,
    "sheridan": -1000,
    "broadway": -1200,
    "fairbanks": 200,
    "kedzie blvd": -3200,
    "blue island": -1300,
}
EW_STREETS: dict[str, int] = {
    "madison": 0,
    "monroe": -100,
    "washington": 100,
    "randolph": 150,
    "lake": 200,
    "fulton market": 300,
    "fulton": 300,
    "kinzie": 400,
    "hubbard": 430,
    "grand": 530,
    "ohio": 600,
    "huron": 700,
    "chicago": 800,
    "oak": 1000,
    "division": 1200,
    "schiller": 1400,
    "north": 1600,
    "eugenie": 1700,
    "armitage": 2000,
    "cortland": 1900,
    "fullerton": 2400,
    "diversey": 2800,
    "belmont": 3200,
    "addison": 3600,
    "irving park": 4000,
    "montrose": 4400,
    "wilson": 4600,
    "leland": 4700,
    "lawrence": 4800,
    "foster": 5200,
    "berwyn": 5300,
    "bryn mawr": 5600,
    "thorndale": 5900,
    "devon": 6400,
    "morse": 6900,
    "augusta": 1000,
    "polk": -800,
    "taylor": -1000,
    "roosevelt": -1200,
    "cullerton": -2000,
    "cermak": -2200,
    "archer": -2300,
}
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b")
_ADDRESS = re.compile(r"^\s*(\d{1,5})\s+([nsew])\.?\s+(.+?)\s*$", re.IGNORECASE)
_SUFFIX = re.compile(
    r"\s+(st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|pkwy|parkway|ct|court|"
    r"pl|place|ln|lane|way)\.?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GridPoint:
    lat: float
    lon: float


def _street_key(name: str) -> str:
    name = _SUFFIX.sub("", name.strip().lower())
    return name.replace("la salle", "lasalle").replace("  ", " ")


def locate(street_part: str) -> GridPoint | None:
    """The grid position of '1200 N Clark St' (house number, direction, street), or None."""
    match = _ADDRESS.match(street_part)
    if not match:
        return None
    number, direction, street = int(match.group(1)), match.group(2).lower(), match.group(3)
    key = _street_key(street)
    sign = 1 if direction in "ne" else -1
    ordinal = _ORDINAL.fullmatch(key)
    if ordinal and direction in "ew":  # "E 53rd St": an east-west street 5300 south
        north, east = -int(ordinal.group(1)) * 100, sign * number
    elif key in NS_STREETS and direction in "ns":
        north, east = sign * number, NS_STREETS[key]
    elif key in EW_STREETS and direction in "ew":
        north, east = EW_STREETS[key], sign * number
    else:
        return None
    return GridPoint(
        lat=round(ORIGIN_LAT + north / PER_MILE * LAT_PER_MILE, 6),
        lon=round(ORIGIN_LON + east / PER_MILE * LON_PER_MILE, 6),
    )
