"""The address a request came from, as throttles and the audit trail record it."""

from __future__ import annotations

import ipaddress

from fastapi import Request


def client_ip(request: Request) -> str | None:
    """The peer's IP address, or None when there is none (an in-process test client).

    Behind a proxy listed in FORWARDED_ALLOW_IPS, the address it forwarded (api/app.py).
    """
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
