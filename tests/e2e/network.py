"""A slow line for browser tests: every request answers after `latency_ms`, in the browser
(Chromium's network emulation), so the page keeps running while it waits, as it would for a
user on a slow connection."""


def slow_line(page, *, latency_ms):
    session = page.context.new_cdp_session(page)
    session.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return session
