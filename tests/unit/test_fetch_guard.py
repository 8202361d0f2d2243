"""The SSRF guard: address rules, host tricks, the allow-list, URL checks, and the transport.

Refusals through `fetch_page` need no server: the guard refuses before any connection.
"""

from __future__ import annotations

import ipaddress
import socket

import httpcore
import httpx
import pytest

from schemas.errors import (
    FetchUnavailable,
    InvalidUrl,
    UnresolvableHost,
    UnsafeUrl,
)
from workers.fetch import (
    AddressGuard,
    FetchPolicy,
    GuardedBackend,
    GuardedTransport,
    fetch_page,
    guarded_client,
    why_not_public,
)

BLOCKED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.1.1": "link-local",
    "169.254.169.254": "a cloud metadata address",
    "100.100.100.200": "a cloud metadata address",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "100.64.0.1": "not globally routable",
    "192.0.2.10": "private",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd00:ec2::254": "a cloud metadata address",
    "ff02::1": "multicast",
    "2001:db8::1": "private",
    "::ffff:127.0.0.1": "loopback, inside the IPv6 address",
    "::ffff:10.0.0.1": "private, inside the IPv6 address",
    "::ffff:169.254.169.254": "a cloud metadata address, inside the IPv6 address",
    "::127.0.0.1": "loopback, inside the IPv6 address",
    "64:ff9b::7f00:1": "loopback, inside the IPv6 address",
    "2002:a00:1::": "private, inside the IPv6 address",
}

PUBLIC = [
    "93.184.215.14",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "why"), sorted(BLOCKED.items()))
def test_non_public_addresses_are_named(address, why):
    assert why_not_public(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert why_not_public(ipaddress.ip_address(address)) is None
    assert AddressGuard().refusal(ipaddress.ip_address(address)) is None


def fixed(answers: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f.1", "0x7f000001", "017700000001", "127.1", "::ffff:127.0.0.1", "::1"],
)
def test_numeric_host_tricks_resolve_to_loopback_and_are_refused(host):
    # The system resolver itself turns these spellings into 127.0.0.1 (or ::1).
    with pytest.raises(UnsafeUrl, match="loopback"):
        AddressGuard().resolve(host, 80)


def test_one_bad_address_among_good_ones_refuses_the_host():
    guard = AddressGuard(resolver=fixed({"mixed.test": ["93.184.215.14", "10.0.0.7"]}))
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.7 \(private\)"):
        guard.resolve("mixed.test", 443)


def test_unknown_names_are_permanent_and_dns_trouble_is_transient():
    with pytest.raises(UnresolvableHost):
        AddressGuard(resolver=fixed({})).resolve("nope.test", 80)

    def flaky(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(FetchUnavailable):
        AddressGuard(resolver=flaky).resolve("news.test", 80)


def test_allow_list_networks_hosts_and_mapped_addresses():
    guard = AddressGuard.from_entries(
        ["127.0.0.1/32", "10.9.0.0/16", "Intranet.Example."],
        resolver=fixed({"intranet.example": ["10.1.1.1"], "other.test": ["10.1.1.1"]}),
    )
    assert guard.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert guard.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    assert guard.refusal(ipaddress.ip_address("10.9.3.4")) is None
    assert guard.refusal(ipaddress.ip_address("127.0.0.2")) == "loopback"
    assert guard.resolve("intranet.example", 80) == ["10.1.1.1"]
    with pytest.raises(UnsafeUrl):
        guard.resolve("other.test", 80)


def test_metadata_address_needs_an_exact_entry():
    wide = AddressGuard.from_entries(["169.254.0.0/16"])
    assert wide.refusal(ipaddress.ip_address("169.254.1.1")) is None
    assert wide.refusal(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"
    exact = AddressGuard.from_entries(["169.254.169.254"])
    assert exact.refusal(ipaddress.ip_address("169.254.169.254")) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/a", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.org:70/", "only http and https"),
        ("http://user:secret@example.org/", "user name or password"),
        ("http://example.org:25/", "port 25 is not allowed"),
    ],
)
def test_urls_outside_the_policy_are_invalid(url, message):
    guard = AddressGuard(allowed_ports=frozenset({80, 443}))
    with pytest.raises(InvalidUrl, match=message) as caught:
        guard.check_url(httpx.URL(url))
    assert "secret" not in str(caught.value)


def policy(guard: AddressGuard) -> FetchPolicy:
    return FetchPolicy(guard=guard, connect_timeout=1, read_timeout=1, total_timeout=2)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]:8080/",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "https://10.0.0.1/",
    ],
)
def test_fetch_refuses_internal_targets_before_connecting(url):
    guard = AddressGuard()
    client = guarded_client(guard, timeout=httpx.Timeout(1), user_agent="t")
    with client, pytest.raises(UnsafeUrl, match="SSRF guard"):
        fetch_page(url, policy(guard), client)


def test_transport_dials_only_the_checked_address():
    dialled: list[str] = []

    class Recorder(httpcore.NetworkBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            dialled.append(host)
            raise httpcore.ConnectError("recorded, not connected")

    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.215.14", "2606:4700:4700::1111"]

    backend = GuardedBackend(AddressGuard(resolver=resolver), inner=Recorder())
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("news.test", 443)
    # One resolution, and every dial goes to an address from that very answer.
    assert calls == ["news.test"]
    assert dialled == ["93.184.215.14", "2606:4700:4700::1111"]


def test_the_transport_pool_really_uses_the_guarded_backend():
    # httpx gives no public seam for the network backend: fail loudly if an upgrade moves it.
    transport = GuardedTransport(AddressGuard())
    assert isinstance(transport._pool._network_backend, GuardedBackend)
    client = guarded_client(AddressGuard(), timeout=httpx.Timeout(1), user_agent="t")
    assert client._transport.__class__ is GuardedTransport
    assert not client._mounts  # no proxy from the environment


def test_a_client_without_the_policys_guard_is_refused():
    guard = AddressGuard()
    with httpx.Client() as plain, pytest.raises(TypeError, match="SSRF guard"):
        fetch_page("http://example.org/", policy(guard), plain)
    other = guarded_client(AddressGuard.from_entries(["10.0.0.0/8"]), timeout=1, user_agent="t")
    with other, pytest.raises(TypeError, match="SSRF guard"):
        fetch_page("http://example.org/", policy(guard), other)
