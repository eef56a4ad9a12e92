"""The Gemini API key in the system keyring (never in the settings file, never in logs).

One place for the key, used by the Gemini provider and the desktop app's settings. The
``keyring`` package is imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

SERVICE = "loci"
USERNAME = "gemini-api-key"

__all__ = [
    "SERVICE",
    "USERNAME",
    "KeyringUnavailable",
    "delete_api_key",
    "get_api_key",
    "resolve_api_key",
    "set_api_key",
]


class KeyringUnavailable(Exception):
    """No usable keyring backend: the message says what to do instead."""


def get_api_key() -> str | None:
    """The key saved in the system keyring, or None (also when there is no usable keyring)."""
    try:
        import keyring

        return keyring.get_password(SERVICE, USERNAME) or None
    except Exception:  # noqa: BLE001 - no backend, no D-Bus, a locked store: all mean "no key"
        log.debug("system keyring unavailable; no stored Gemini key")
        return None


def set_api_key(key: str) -> None:
    """Save the key (stripped) in the system keyring.

    Raises:
        KeyringUnavailable: there is no usable keyring; the message points at
            ``GEMINI_API_KEY``.
    """
    try:
        import keyring

        keyring.set_password(SERVICE, USERNAME, key.strip())
    except Exception as exc:  # noqa: BLE001 - no backend, no D-Bus, a locked store
        log.warning("could not save the Gemini key: no usable system keyring")
        raise KeyringUnavailable(
            f"the system keyring refused the key ({exc}); set GEMINI_API_KEY in the "
            "environment instead"
        ) from None


def delete_api_key() -> bool:
    """Remove the saved key; False when none was saved or there is no usable keyring."""
    try:
        import keyring

        keyring.delete_password(SERVICE, USERNAME)
        return True
    except Exception:  # noqa: BLE001 - PasswordDeleteError (nothing saved) included
        return False


def resolve_api_key(explicit: str | None = None) -> str | None:
    """The key to use: the argument, ``GEMINI_API_KEY``, ``GOOGLE_API_KEY``, the keyring."""
    for candidate in (
        explicit,
        os.environ.get("GEMINI_API_KEY"),
        os.environ.get("GOOGLE_API_KEY"),
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    return get_api_key()
