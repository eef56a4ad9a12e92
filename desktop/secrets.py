"""The Gemini API key in the system keyring (never in the settings file, never in logs)."""

from __future__ import annotations

SERVICE = "loci"
USERNAME = "gemini-api-key"


class KeyringUnavailable(Exception):
    """No usable keyring backend: the message says what to do instead."""


def get_api_key() -> str | None:
    """The stored key, or None when there is none or no keyring to ask."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, USERNAME)
    except KeyringError:
        return None


def set_api_key(key: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, USERNAME, key)
    except KeyringError as exc:
        raise KeyringUnavailable(
            f"the system keyring refused the key ({exc}); set GEMINI_API_KEY in the "
            "environment instead"
        ) from None


def delete_api_key() -> None:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, USERNAME)
    except PasswordDeleteError:
        pass  # nothing stored
    except KeyringError as exc:
        raise KeyringUnavailable(f"the system keyring refused ({exc})") from None
