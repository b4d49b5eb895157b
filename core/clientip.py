"""The client's address, as the trusted reverse proxies in front of the CRM report it.

Each proxy appends the address it received the request from to X-Forwarded-For and connects to
the next one, the last to the CRM (REMOTE_ADDR). Behind `TRUSTED_PROXY_COUNT` = N proxies, the
addresses the proxies wrote are REMOTE_ADDR and the last N-1 entries of the header; the entry
before them is the client as the outermost trusted proxy saw it. Everything further left was
sent by the client and is ignored, so a client cannot choose its own address (and with it whose
lock-out it counts towards) by sending X-Forwarded-For.

django-ipware (which axes can use) counts proxies differently: it expects the proxies' own
addresses inside the header and finds no address at all when a client sends none, so the CRM
reads the header itself (AXES_CLIENT_IP_CALLABLE).
"""

from ipaddress import ip_address

from django.conf import settings


def _valid(address):
    try:
        return str(ip_address(address))
    except ValueError:
        return None


def client_ip(request):
    """The client's address (a string), or REMOTE_ADDR when no trusted proxy reported one."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    chain = [*forwarded, remote]
    if len(chain) <= proxies:
        # Fewer hops than proxies: the request did not come through all of them (a health check
        # on the container's port, say); the left-most entry is then the best the chain says,
        # and no client wrote it (a client's own entries would have made the chain longer).
        return _valid(chain[0]) or remote
    # A trusted proxy wrote this entry; an unparsable one (a misconfigured proxy) counts as
    # the proxy's own address rather than as a value a client might have chosen.
    return _valid(chain[-(proxies + 1)]) or remote
