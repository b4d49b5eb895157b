"""Where the CRM's server may connect when a user names the host: a webhook's target, a
mailbox's IMAP server.

A host a user types makes the server open connections where that user says. Pointed at the
loopback or the internal network, that would reach services meant to be unreachable from
outside, or tell which of them answer (server-side request forgery). Callers refuse such hosts
unless their setting allows private addresses (on by default only with DEBUG, for development
and the tests' servers on 127.0.0.1), when the host is saved and again, on the resolved
addresses, right before connecting (a name can resolve elsewhere later).
"""

import ipaddress
import socket


def is_private_address(address: str) -> bool:
    """Loopback, private, link-local, reserved or multicast: not a public unicast address."""
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def resolved_addresses(host: str, port: int | None, *, default_port: int = 443) -> list[str]:
    """Every address the host name resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port or default_port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def is_local_name(host: str) -> bool:
    host = (host or "").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def reaches_private_network(host: str, port: int | None, *, default_port: int = 443) -> bool:
    """True when `host` is, or resolves to, an address that is not public."""
    if is_local_name(host):
        return True
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolved_addresses(host, port, default_port=default_port)
    return any(is_private_address(address) for address in addresses)
