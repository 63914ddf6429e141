"""Delivery failures, split into "try again later" and "will never work"."""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be handed over. `permanent` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
