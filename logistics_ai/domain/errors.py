"""Domain errors: the UI shows `message`, the API maps `http_status` and `code`."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(DomainError):
    """Input broke a rule; `details["fields"]` maps each field to its message."""

    http_status = 422
    code = "validation_error"

    @property
    def field_errors(self) -> dict[str, str]:
        return dict(self.details.get("fields", {}))


class NotFound(DomainError):
    """Missing, or not visible to the caller: both look the same so existence never leaks."""

    http_status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    http_status = 403
    code = "forbidden"


class AuthenticationFailed(DomainError):
    http_status = 401
    code = "unauthenticated"


class SecondFactorRequired(AuthenticationFailed):
    """The password was right; the account also needs its authenticator code."""

    code = "otp_required"


class SecondFactorSetupRequired(PermissionDenied):
    """Staff must use two-factor sign-in here (STAFF_TOTP) and this session has none yet."""

    code = "second_factor_required"


class IllegalTransition(DomainError):
    http_status = 409
    code = "illegal_transition"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class StaleWrite(Conflict):
    """Someone else changed the record between our read and our write (optimistic concurrency)."""

    code = "stale_write"


class RateLimited(DomainError):
    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, details={"retry_after_seconds": retry_after_s})
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """A provider we depend on (the geocoder) timed out or failed; retrying later may work."""

    http_status = 503
    code = "service_unavailable"

    def __init__(
        self, message: str, *, retry_after_s: int = 5, details: dict | None = None
    ) -> None:
        super().__init__(message, details={"retry_after_seconds": retry_after_s, **(details or {})})
        self.retry_after_s = retry_after_s
