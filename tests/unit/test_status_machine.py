from collections import deque

import pytest

from logistics_ai.models import ShipmentStatus as S
from logistics_ai.services.shipment_status import ALLOWED_TRANSITIONS, STATUS_LABELS, can_transition


def test_every_status_has_rules_and_a_label() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(S) == set(STATUS_LABELS)


def test_delivered_and_cancelled_are_final() -> None:
    assert ALLOWED_TRANSITIONS[S.delivered] == frozenset()
    assert ALLOWED_TRANSITIONS[S.cancelled] == frozenset()


def test_every_status_is_reachable_from_requested() -> None:
    seen, queue = {S.requested}, deque([S.requested])
    while queue:
        for nxt in ALLOWED_TRANSITIONS[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    assert seen == set(S)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("requested", "scheduled", True),
        ("scheduled", "assigned", True),
        ("assigned", "picked_up", True),
        ("picked_up", "in_transit", True),
        ("in_transit", "delivered", True),
        ("requested", "delivered", False),
        ("delivered", "failed", False),
        ("picked_up", "cancelled", False),
        ("cancelled", "scheduled", False),
    ],
)
def test_transitions(current: str, target: str, allowed: bool) -> None:
    assert can_transition(current, target) is allowed
