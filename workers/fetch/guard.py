"""The SSRF guard: which hosts, ports and addresses a url fetch or a callback may reach.

1. The URL: http or https, a host, no user info, a port in the allowed list (when one is
   set). Checked before every hop, so a redirect cannot switch to `file:` or port 25.
2. The addresses: the host is resolved once (`getaddrinfo`, which also turns the tricks
   `2130706433`, `0x7f.1` and `127.1` into 127.0.0.1); if ANY address is not public
   (loopback, private, link-local, multicast, reserved, unspecified, shared CGNAT,
   documentation, …) or is a cloud metadata address, the whole host is refused. An IPv6
   address carrying an IPv4 one (mapped `::ffff:a.b.c.d`, compatible, NAT64, 6to4,
   Teredo) is judged by the IPv4 address too.
3. The allow-list (`NEWSFLOW_FETCH_ALLOW_HOSTS`): an address inside an allowed network, or
   any address of an allowed host name, passes. A metadata address passes only when it is
   listed on its own (a /32 or /128), never as part of a wider network.

The transport (`workers.fetch.transport`) connects only to the addresses `resolve`
returned, so a DNS answer that changes between the check and the connect (rebinding)
cannot steer the socket elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from schemas.errors import FetchUnavailable, InvalidUrl, UnresolvableHost, UnsafeUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port → the IP addresses (as text) to connect to, in the resolver's order.
Resolver = Callable[[str, int], list[str]]

SCHEMES = frozenset({"http", "https"})

# Instance metadata services: AWS/GCP/Azure/OpenStack, AWS IPv6, AWS ECS tasks, Alibaba.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# EAI_NODATA is not defined on every platform.
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in getaddrinfo's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = int(address)
    if address in _NAT64:
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if packed >> 32 == 0 and packed > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed)
    return None


def why_not_public(address: IPAddress) -> str | None:
    """Why `address` is not a public unicast address, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        why = why_not_public(address.ipv4_mapped)  # the IPv4 host itself, written as IPv6
        return None if why is None else f"{why}, inside the IPv6 address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            why = why_not_public(inner)
            if why is not None:
                return f"{why}, inside the IPv6 address"
            if address in _NAT64:
                return None  # DNS64 on an IPv6-only network: the public IPv4 host decides
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class AddressGuard:
    """The SSRF policy: allow-list, allowed ports, and the resolver it checks answers of."""

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_hosts: frozenset[str] = frozenset()
    allowed_ports: frozenset[int] = frozenset()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[str],
        allowed_ports: Iterable[int] = (),
        resolver: Resolver = system_resolver,
    ) -> AddressGuard:
        """Build from `NEWSFLOW_FETCH_ALLOW_HOSTS` entries: IPs, CIDRs and host names."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(tuple(networks), frozenset(hosts), frozenset(allowed_ports), resolver)

    def refusal(self, address: IPAddress) -> str | None:
        """Why the guard refuses to connect to `address`, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # the very same host, written the IPv6 way
        if address in METADATA_ADDRESSES:
            exact = any(n.num_addresses == 1 and address in n for n in self.allow_networks)
            return None if exact else "a cloud metadata address"
        if any(address.version == n.version and address in n for n in self.allow_networks):
            return None
        return why_not_public(address)

    def check_url(self, url: httpx.URL) -> None:
        """Refuse a URL that is not plain http(s) to a host on an allowed port."""
        if url.scheme not in SCHEMES:
            raise InvalidUrl(f"{_show(url)}: only http and https URLs are fetched")
        if not url.host:
            raise InvalidUrl(f"{_show(url)}: the URL has no host")
        if url.userinfo:
            raise InvalidUrl(f"{_show(url)}: URLs with a user name or password are refused")
        port = url.port or (443 if url.scheme == "https" else 80)
        if self.allowed_ports and port not in self.allowed_ports:
            allowed = ", ".join(map(str, sorted(self.allowed_ports)))
            raise InvalidUrl(
                f"{_show(url)}: port {port} is not allowed (NEWSFLOW_FETCH_ALLOWED_PORTS: "
                f"{allowed})"
            )

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` to connect to, every one of them checked.

        Raises UnsafeUrl when any address is refused, UnresolvableHost when the name does not
        exist, FetchUnavailable when DNS fails for now.
        """
        try:
            addresses = self.resolver(host, port)
        except UnicodeError as exc:
            raise InvalidUrl(f"the host name {host!r} is not valid: {exc}") from exc
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise UnresolvableHost(
                    f"the host {host!r} does not exist in DNS ({exc.strerror}): check the URL"
                ) from exc
            raise FetchUnavailable(f"DNS lookup of {host!r} failed: {exc}") from exc
        if not addresses:
            raise UnresolvableHost(f"the host {host!r} resolves to no address: check the URL")
        if host.lower().rstrip(".") in self.allow_hosts:
            return addresses
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            why = self.refusal(address)
            if why is not None:
                raise UnsafeUrl(
                    f"the host {host!r} resolves to {address} ({why}): refused by the SSRF "
                    "guard; to allow it, add that address or network to "
                    "NEWSFLOW_FETCH_ALLOW_HOSTS"
                )
        return addresses


def _show(url: httpx.URL) -> str:
    # Never echo credentials from a URL into logs or the dead-letter stream.
    return str(url.copy_with(userinfo=b"")) if url.userinfo else str(url)
