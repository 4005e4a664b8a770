"""Which network addresses a pull may reach: public ones only, unless the operator allows more.

A champion's pull must not reach the hub's own API, a cloud's metadata service or the cluster's private
network. The check runs where the connection's addresses are chosen (a tornado resolver), so a name that
resolves differently on a second lookup cannot slip past it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection

from tornado.netutil import DefaultLoopResolver, Resolver

from .errors import PullFailed, SharedDataError


class PrivateAddress(SharedDataError):
    """A pull whose server is on a loopback, private, link-local, multicast, reserved or unspecified address."""

    status = 403


def is_public_address(address: str) -> bool:
    """True for an IP address anyone on the internet could reach; False for local, private and special ones."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (`fe80::1%eth0`) is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    special = (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )
    return ip.is_global and not special


def refusal(host: str) -> PrivateAddress:
    return PrivateAddress(
        f"`{host[:200]}` points to a private or local address; only public sources can be pulled. "
        "Use a link anyone on the internet can open."
    )


class PublicOnlyResolver(Resolver):
    """Resolves like the event loop does, and refuses names that resolve to any non-public address.

    `allow_private` turns the check off; names in `allowed_hosts` skip it.
    """

    def initialize(
        self, allow_private: bool = False, allowed_hosts: Collection[str] = (), inner: Resolver | None = None
    ) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = {host.lower().strip("[]") for host in allowed_hosts}
        self.inner = inner or DefaultLoopResolver()

    def may_skip(self, host: str) -> bool:
        return self.allow_private or host.lower().strip("[]") in self.allowed_hosts

    async def resolve(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC):
        addresses = await self.inner.resolve(host, port, family)
        if not self.may_skip(host) and not all(is_public_address(address[0]) for _, address in addresses):
            raise refusal(host)
        return addresses

    async def check_host(self, host: str, port: int) -> str:
        """The address a connection to `host` must use (git is pinned to it, so a second lookup cannot change
        it); refused at once when `host` is not public. A name nobody can resolve is refused too."""
        try:
            addresses = await self.resolve(host, port)
        except OSError as failure:
            raise PullFailed(f"Could not find the server `{host[:200]}` ({failure}). Check the link.") from None
        if not addresses:
            raise PullFailed(f"Could not find the server `{host[:200]}`. Check the link.")
        return addresses[0][1][0]
