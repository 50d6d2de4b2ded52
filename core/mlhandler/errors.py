"""Domain errors. Each carries its HTTP status; one handler in app.py renders them as JSON."""

from __future__ import annotations

from typing import Any


class MLHandlerError(Exception):
    """Base error: `message` is one sentence saying what is wrong and how to fix it."""

    status = 500

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, **self.details}


class BadRequest(MLHandlerError):
    status = 400


class NotFound(MLHandlerError):
    status = 404


class PayloadTooLarge(MLHandlerError):
    status = 413


class ServiceUnavailable(MLHandlerError):
    """Try again: the resource is changing or not ready."""

    status = 503


class StorageError(MLHandlerError):
    """A write to config_dir failed (full disk, permissions): not a bug, and nothing changed."""

    status = 507


class ConfigError(MLHandlerError):
    """A mistake in the YAML or in the startup environment. The CLI prints it and exits 1."""

    status = 500


class UnknownEstimatorError(ConfigError):
    """A `class` name no installed plugin provides."""

    status = 400
