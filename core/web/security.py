"""The access rules of the browser preview: a random token, and loopback by default.

Why a token even on loopback: any local user, and any web page the user visits (through DNS
rebinding), can reach a port on 127.0.0.1; the token in the printed URL is what proves the
request comes from whoever started livecut (as Jupyter does).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

TOKEN_BYTES = 24
"""Random bytes in a token (32 URL-safe characters)."""


def new_token() -> str:
    """A fresh random token for one server."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison (no timing hint about how much of a guess was right)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; anything else reaches other machines."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
