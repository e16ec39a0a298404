"""Where a webhook may be sent: no server-side request forgery into the network Frontdesk runs in.

A URL is checked when it is saved (a clear 422 naming the field) and again, after resolving its host, right
before every attempt: a name can point somewhere else by then (DNS rebinding). The attempt then connects to
the address that was checked, not to a second lookup (``resolve_target``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from frontdesk.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(InvalidInput):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written in the URL (for the Host header and TLS's server name)
    port: int
    address: IPAddress  # the checked address the attempt connects to


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it: NAT64 (RFC 6052, 8215) and the
# deprecated IPv4-compatible form.
_EMBEDDING_IPV4 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, if it is one of the forms that carry one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _EMBEDDING_IPV4) and int(address) > 1:  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_private(address: IPAddress) -> bool:
    """Loopback, link-local, private (RFC 1918, unique-local), shared, reserved, multicast or unspecified,
    also when written as an IPv6 address that leads to such an IPv4 address (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and is_private(inner):
            return True
    return not address.is_global or address.is_multicast


def parse_url(url: str, *, field: str = "url") -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or a 422 naming ``field``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"not a valid URL: {exc}", field=field) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("must start with https:// (or http://)", field=field)
    if not parts.hostname:
        raise InvalidInput("needs a host name, e.g. https://example.com/hooks", field=field)
    if parts.username or parts.password:
        raise InvalidInput("must not contain a user name or password", field=field)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def resolve_target(url: str, *, allow_private: bool, field: str = "url") -> Target:
    """The URL with the address to connect to; ``RefusedTarget`` (422) if any address it names is private and
    private targets are not allowed, ``InvalidInput`` if the host does not resolve."""
    scheme, host, port = parse_url(url, field=field)
    try:
        addresses = await _addresses(host, port)
    except OSError as exc:
        raise InvalidInput(f"the host {host!r} could not be resolved", field=field) from exc
    if not addresses:
        raise InvalidInput(f"the host {host!r} could not be resolved", field=field)
    if not allow_private:
        refused = [address for address in addresses if is_private(address)]
        if refused:
            raise RefusedTarget(
                f"{host} is a loopback, link-local or private address ({refused[0]}); an admin can allow "
                "private targets in Settings → Connections",
                field=field,
            )
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=addresses[0])
