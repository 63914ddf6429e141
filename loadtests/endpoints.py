"""Which endpoints does the target serve? The gate runs only tasks whose endpoint exists.

The API is described by its own OpenAPI document (/api/v1/openapi.json), so as endpoints of the
DESIGN §4 contract land, their Locust tasks join the gate without editing anything here.
Static pages (served by nginx from the exported frontend) are available when /login answers.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

OPENAPI_PATH = "/api/v1/openapi.json"
AUTH_ENDPOINT = ("POST", "/api/v1/auth/token")


def endpoint(method: str, path: str, *, auth: bool = False, page: bool = False) -> Callable:
    """Mark a Locust task with the endpoint it exercises (path as in the OpenAPI document)."""

    def mark(function: Callable) -> Callable:
        function.endpoint = (method.upper(), path)  # type: ignore[attr-defined]
        function.needs_auth = auth  # type: ignore[attr-defined]
        function.is_page = page  # type: ignore[attr-defined]
        return function

    return mark


@dataclass
class Availability:
    operations: set[tuple[str, str]] = field(default_factory=set)
    pages: bool = False
    # LOADTEST_ANONYMOUS_ONLY=1: no signed-in tasks (a prod stack has no load-test accounts).
    anonymous_only: bool = False
    problems: list[str] = field(default_factory=list)

    def serves(self, task: Callable) -> bool:
        marked = getattr(task, "endpoint", None)
        if marked is None:
            return True  # an unmarked task is the user's own business
        if getattr(task, "is_page", False):
            return self.pages
        if marked not in self.operations:
            return False
        if not getattr(task, "needs_auth", False):
            return True
        return not self.anonymous_only and AUTH_ENDPOINT in self.operations


def _get(url: str, insecure: bool, timeout: float = 10) -> tuple[int, bytes]:
    context = ssl._create_unverified_context() if insecure else ssl.create_default_context()
    request = urllib.request.Request(url, headers={"User-Agent": "logistics-ai-loadtest-probe"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def probe(host: str, insecure: bool = True) -> Availability:
    availability = Availability(anonymous_only=os.environ.get("LOADTEST_ANONYMOUS_ONLY") == "1")
    host = host.rstrip("/")
    try:
        status, body = _get(host + OPENAPI_PATH, insecure)
        if status == 200:
            spec: dict[str, Any] = json.loads(body)
            for path, operations in spec.get("paths", {}).items():
                for method in operations:
                    availability.operations.add((method.upper(), path))
        else:
            availability.problems.append(f"{OPENAPI_PATH} answered {status}")
    except Exception as error:  # the probe reports; the gate then fails for lack of tasks
        availability.problems.append(f"{OPENAPI_PATH}: {type(error).__name__}: {error}")
    try:
        status, _ = _get(host + "/login", insecure)
        availability.pages = status == 200
    except Exception as error:
        availability.problems.append(f"/login: {type(error).__name__}: {error}")
    return availability


def restrict_to_available(
    user_classes: Iterable[type], availability: Availability
) -> tuple[list[type], list[str]]:
    """Drop tasks whose endpoint the target lacks; drop user classes left without tasks.

    Returns the user classes to run and a human-readable report of what was kept or skipped.
    """
    kept: list[type] = []
    report: list[str] = []
    reason = (
        ", or needs an account: LOADTEST_ANONYMOUS_ONLY=1" if availability.anonymous_only else ""
    )
    for user_class in user_classes:
        tasks = list(user_class.tasks)
        runnable = [t for t in tasks if availability.serves(t)]
        skipped = sorted({_label(t) for t in tasks if t not in runnable})
        running = sorted({_label(t) for t in runnable})
        user_class.tasks = runnable
        if runnable:
            kept.append(user_class)
        report.append(
            f"{user_class.__name__}: running {', '.join(running) or 'nothing'}"
            + (
                f"; skipped (endpoint not served yet{reason}): {', '.join(skipped)}"
                if skipped
                else ""
            )
        )
    return kept, report


def _label(task: Callable) -> str:
    method, path = getattr(task, "endpoint", ("", task.__name__))
    return f"{method} {path}".strip()
