"""Offline gazetteer of the demo city (Chicago): neighbourhood centroids and their streets.

Coordinates are real neighbourhood centres. The offline geocoder and the demo seed both
place an address near its neighbourhood's centre, so demo routes look like real city work.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY = "Chicago"
REGION = "IL"
DEPOT = (
    "Logistics AI Fulton Market Depot",
    "1000 W Fulton Market, West Loop, Chicago, IL",
    41.8868,
    -87.6527,
)


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    lat: float
    lon: float
    streets: tuple[str, ...]


NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    Neighbourhood(
        "The Loop", 41.8837, -87.6289, ("S State St", "W Madison St", "S Wabash Ave", "W Monroe St")
    ),
    Neighbourhood(
        "River North",
        41.8924,
        -87.6341,
        ("N Wells St", "W Hubbard St", "N LaSalle Dr", "W Kinzie St"),
    ),
    Neighbourhood(
        "Streeterville",
        41.8927,
        -87.6200,
        ("E Ohio St", "N Michigan Ave", "E Grand Ave", "N Fairbanks Ct"),
    ),
    Neighbourhood(
        "Gold Coast",
        41.9058,
        -87.6270,
        ("N State Pkwy", "E Oak St", "N Dearborn St", "W Division St"),
    ),
    Neighbourhood(
        "Old Town",
        41.9115,
        -87.6380,
        ("N Wells St", "W North Ave", "N Sedgwick St", "W Eugenie St"),
    ),
    Neighbourhood(
        "Lincoln Park",
        41.9214,
        -87.6513,
        ("N Clark St", "W Armitage Ave", "N Halsted St", "W Fullerton Pkwy"),
    ),
    Neighbourhood(
        "Lakeview",
        41.9434,
        -87.6553,
        ("N Broadway", "W Belmont Ave", "N Sheffield Ave", "W Addison St"),
    ),
    Neighbourhood(
        "Wicker Park",
        41.9088,
        -87.6796,
        ("N Milwaukee Ave", "N Damen Ave", "W North Ave", "W Schiller St"),
    ),
    Neighbourhood(
        "Bucktown",
        41.9217,
        -87.6799,
        ("N Damen Ave", "W Armitage Ave", "N Hoyne Ave", "W Cortland St"),
    ),
    Neighbourhood(
        "Logan Square",
        41.9231,
        -87.7093,
        ("N Milwaukee Ave", "W Fullerton Ave", "N Kedzie Blvd", "W Diversey Ave"),
    ),
    Neighbourhood(
        "Humboldt Park",
        41.9023,
        -87.7218,
        ("W Division St", "N California Ave", "W Augusta Blvd", "N Kedzie Ave"),
    ),
    Neighbourhood(
        "Ukrainian Village",
        41.8990,
        -87.6867,
        ("W Chicago Ave", "N Western Ave", "W Huron St", "N Leavitt St"),
    ),
    Neighbourhood(
        "West Loop",
        41.8827,
        -87.6474,
        ("W Randolph St", "W Lake St", "N Morgan St", "W Washington Blvd"),
    ),
    Neighbourhood(
        "South Loop",
        41.8569,
        -87.6247,
        ("S Michigan Ave", "S Indiana Ave", "W Roosevelt Rd", "S Prairie Ave"),
    ),
    Neighbourhood(
        "Little Italy",
        41.8690,
        -87.6598,
        ("W Taylor St", "S Loomis St", "S Racine Ave", "W Polk St"),
    ),
    Neighbourhood(
        "Pilsen",
        41.8564,
        -87.6597,
        ("W 18th St", "S Blue Island Ave", "S Ashland Ave", "W Cullerton St"),
    ),
    Neighbourhood(
        "Chinatown",
        41.8517,
        -87.6338,
        ("S Wentworth Ave", "W Cermak Rd", "S Archer Ave", "W 24th St"),
    ),
    Neighbourhood(
        "Bridgeport", 41.8381, -87.6513, ("S Halsted St", "W 31st St", "S Morgan St", "W 35th St")
    ),
    Neighbourhood(
        "Bronzeville",
        41.8169,
        -87.6187,
        ("S King Dr", "E 43rd St", "S Cottage Grove Ave", "E 47th St"),
    ),
    Neighbourhood(
        "Hyde Park",
        41.7943,
        -87.5907,
        ("E 53rd St", "S Lake Park Ave", "S Harper Ave", "E 57th St"),
    ),
    Neighbourhood(
        "Uptown",
        41.9665,
        -87.6533,
        ("N Broadway", "W Lawrence Ave", "N Sheridan Rd", "W Wilson Ave"),
    ),
    Neighbourhood(
        "Ravenswood",
        41.9694,
        -87.6740,
        ("N Ravenswood Ave", "W Montrose Ave", "N Damen Ave", "W Leland Ave"),
    ),
    Neighbourhood(
        "Andersonville",
        41.9803,
        -87.6687,
        ("N Clark St", "W Foster Ave", "N Ashland Ave", "W Berwyn Ave"),
    ),
    Neighbourhood(
        "Edgewater",
        41.9834,
        -87.6604,
        ("N Sheridan Rd", "W Bryn Mawr Ave", "N Broadway", "W Thorndale Ave"),
    ),
    Neighbourhood(
        "Rogers Park",
        42.0106,
        -87.6696,
        ("N Sheridan Rd", "W Devon Ave", "N Clark St", "W Morse Ave"),
    ),
)


def format_address(number: int, street: str, neighbourhood: str) -> str:
    return f"{number} {street}, {neighbourhood}, {CITY}, {REGION}"
