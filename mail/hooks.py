"""What other parts of the mail app hear about a bounce, without importing each other: the
mailbox sync records the bounce (SuppressedAddress) and then calls every handler registered here
(a mailing marks its recipient), each in the sync's transaction.

    @on_bounce
    def mark_recipient(*, address: str, original_message_id: str, diagnostic: str) -> None: ...
"""

_bounce_handlers = []


def on_bounce(handler):
    if handler not in _bounce_handlers:
        _bounce_handlers.append(handler)
    return handler


def bounce_handlers() -> tuple:
    return tuple(_bounce_handlers)
