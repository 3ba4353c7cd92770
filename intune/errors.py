"""Typed Graph failures, so callers branch on meaning (forbidden, gone, throttled) rather than on status codes."""

from __future__ import annotations

__all__ = [
    "SYNC_PERMISSION",
    "GraphAuthError",
    "GraphError",
    "GraphForbidden",
    "GraphNotFound",
    "GraphThrottled",
    "GraphTimeout",
    "GraphUnavailable",
]

# The application permission Graph requires for syncDevice (ReadWrite.All is not enough).
SYNC_PERMISSION = "DeviceManagementManagedDevices.PrivilegedOperations.All"


class GraphError(Exception):
    """A Graph call failed. ``request_id`` is what Microsoft support asks for."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request-id={self.request_id}")
        return " ".join(parts)


class GraphForbidden(GraphError):
    """403: the app registration lacks a permission (``permission`` names the one the operation needs)."""

    def __init__(self, message: str, *, permission: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.permission = permission


class GraphNotFound(GraphError):
    """404: the device or user does not exist (any more)."""


class GraphThrottled(GraphError):
    """429 still returned after the retry budget was spent; ``retry_after`` is Graph's last hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class GraphTimeout(GraphError):
    """No answer in time. For a POST the outcome is unknown: the action may or may not have been queued."""


class GraphUnavailable(GraphError):
    """5xx or connection failure that retries did not cure."""


class GraphAuthError(GraphError):
    """No usable token: acquisition failed, or Graph rejected the token (401)."""
