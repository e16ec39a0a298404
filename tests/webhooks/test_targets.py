"""Which addresses webhooks may reach: every form of a non-public IPv4 address is refused, IPv6 wrappings too."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.webhooks.targets import RefusedTarget, is_private, resolve_target

PRIVATE_V4 = [
    ipaddress.IPv4Network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
              "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")
]  # fmt: skip


def _wrappings(v4: ipaddress.IPv4Address) -> list[ipaddress.IPv6Address]:
    """Every IPv6 form that leads to ``v4``: mapped, IPv4-compatible, 6to4, NAT64 (well-known and local)."""
    n = int(v4)
    return [
        ipaddress.IPv6Address((0xFFFF << 32) | n),
        ipaddress.IPv6Address(n),
        ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1),
        ipaddress.IPv6Address((0x64FF9B << 96) | n),
        ipaddress.IPv6Address((0x64FF9B0001 << 80) | n),
    ]


@given(st.sampled_from(PRIVATE_V4).flatmap(lambda net: st.integers(0, net.num_addresses - 1).map(lambda i: net[i])))
def test_every_non_public_ipv4_address_is_refused_in_every_form(v4: ipaddress.IPv4Address) -> None:
    assert is_private(v4)
    for wrapped in _wrappings(v4):
        assert is_private(wrapped), wrapped


@given(st.integers(int(ipaddress.IPv4Address("1.0.0.0")), int(ipaddress.IPv4Address("223.255.255.255"))))
def test_a_public_ipv4_address_stays_reachable_mapped_and_through_nat64(n: int) -> None:
    v4 = ipaddress.IPv4Address(n)
    if not v4.is_global:
        return
    assert not is_private(v4)
    assert not is_private(ipaddress.IPv6Address((0x64FF9B << 96) | n))


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::1]", "localhost"])
async def test_urls_naming_a_private_address_are_refused(host: str) -> None:
    with pytest.raises(RefusedTarget):
        await resolve_target(f"https://{host}/hooks", allow_private=False)
    assert (await resolve_target(f"https://{host}/hooks", allow_private=True)).host
