"""Which addresses a pull may reach: public ones only, unless the operator allows private ones."""

import asyncio

import pytest

from hubextras.services.shared_data.addresses import PrivateAddress, PublicOnlyResolver, is_public_address

REFUSED = "points to a private or local address; only public sources can be pulled"


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("127.0.0.1", id="IPv4 loopback (the hub's own API)"),
        pytest.param("127.8.9.10", id="anywhere in 127/8"),
        pytest.param("::1", id="IPv6 loopback"),
        pytest.param("10.1.2.3", id="private 10/8"),
        pytest.param("172.16.0.1", id="private 172.16/12"),
        pytest.param("192.168.1.1", id="private 192.168/16"),
        pytest.param("fd00::1", id="IPv6 unique local"),
        pytest.param("100.64.0.1", id="carrier-grade NAT 100.64/10"),
        pytest.param("169.254.169.254", id="link-local cloud metadata service"),
        pytest.param("fe80::1%eth0", id="IPv6 link-local with a scope"),
        pytest.param("224.0.0.1", id="IPv4 multicast"),
        pytest.param("ff02::1", id="IPv6 multicast"),
        pytest.param("240.0.0.1", id="reserved 240/4"),
        pytest.param("0.0.0.0", id="IPv4 unspecified"),
        pytest.param("::", id="IPv6 unspecified"),
        pytest.param("::ffff:127.0.0.1", id="loopback mapped into IPv6"),
        pytest.param("::ffff:169.254.169.254", id="metadata service mapped into IPv6"),
        pytest.param("2002:a00:1::1", id="6to4 wrapping private 10.0.0.1"),
    ],
)
def test_local_private_and_special_addresses_are_not_public(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("140.82.112.3", id="github.com"),
        pytest.param("8.8.8.8", id="public IPv4"),
        pytest.param("2606:4700:4700::1111", id="public IPv6"),
    ],
)
def test_internet_addresses_are_public(address):
    assert is_public_address(address) is True


def check(resolver: PublicOnlyResolver, host: str) -> None:
    asyncio.run(resolver.check_host(host, 80))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "169.254.169.254", "10.0.0.1"])
def test_a_host_resolving_to_a_private_address_is_refused_with_a_message(host):
    with pytest.raises(PrivateAddress) as refused:
        check(PublicOnlyResolver(), host)
    assert str(refused.value).startswith(f"`{host}` {REFUSED}")
    assert refused.value.status == 403


def test_private_addresses_are_reached_when_the_operator_allows_them():
    check(PublicOnlyResolver(allow_private=True), "127.0.0.1")


def test_an_allowed_host_is_reached_and_other_private_hosts_stay_refused():
    resolver = PublicOnlyResolver(allowed_hosts=["LocalHost"])
    check(resolver, "localhost")
    with pytest.raises(PrivateAddress, match=REFUSED):
        check(resolver, "127.0.0.1")


def test_every_connection_is_checked_not_only_the_first_lookup():
    # the downloader connects through this resolver, so redirects and later lookups are checked too
    with pytest.raises(PrivateAddress, match=REFUSED):
        asyncio.run(PublicOnlyResolver().resolve("localhost", 80))
