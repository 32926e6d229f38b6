"""Where phones on the shop's network reach `wowcard serve`: this machine's own network addresses, found on
the machine itself (no packet leaves it), and a QR code of a survey URL drawn in the terminal for the owner's
phone.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from typing import TextIO

WILDCARDS = ("0.0.0.0", "::", "")


def network_addresses(host: str) -> list[str]:
    """The addresses a phone on the network can use to reach a server listening on `host`: every non-loopback
    address of this machine for a wildcard (IPv4 only for 0.0.0.0), else `host` itself when it is one."""
    if host not in WILDCARDS:
        return usable([host], ipv6=True)
    return usable(_this_machine(), ipv6=host == "::")


def usable(addresses: Iterable[str], ipv6: bool) -> list[str]:
    """The addresses another device can reach, IPv4 first, each once: no loopback, no link-local (it needs an
    interface name a phone's browser does not take), no multicast or unspecified address."""
    found: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, None] = {}
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        if ip.version == 6 and (ip.ipv4_mapped is not None or not ipv6):
            continue
        if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
            continue
        found[ip] = None
    ordered = sorted(found, key=lambda ip: (ip.version, not ip.is_private))
    return [str(ip) for ip in ordered]


def url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _this_machine() -> Iterator[str]:
    """This machine's addresses, from what the operating system already knows."""
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, proto=socket.IPPROTO_TCP):
            yield str(info[4][0])
    except OSError:
        pass
    # The address the machine would send from: connecting a UDP socket only picks a route, nothing is sent.
    for family, probe in ((socket.AF_INET, "10.254.254.254"), (socket.AF_INET6, "fd00:ffff::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                yield str(sock.getsockname()[0])
        except OSError:
            pass
    yield from _linux_interfaces()


def _linux_interfaces() -> Iterator[str]:
    """Every interface's addresses on Linux (IPv4 through SIOCGIFADDR, IPv6 from /proc/net/if_inet6)."""
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
                except OSError:
                    continue
                yield socket.inet_ntoa(packed[20:24])
    except (ImportError, OSError, AttributeError):
        pass
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as table:
            for line in table:
                digits = line.split()[0]
                yield str(ipaddress.IPv6Address(bytes.fromhex(digits)))
    except (OSError, ValueError, IndexError):
        pass


def print_qr(url: str, out: TextIO) -> None:
    """A QR code of `url` in the terminal: half-block characters (two modules a line) where the terminal can
    show them, else coloured spaces."""
    import segno

    code = segno.make(url, error="m")
    try:
        "█▀▄".encode(out.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        code.terminal(out=out)
    else:
        code.terminal(out=out, compact=True)
    out.flush()
