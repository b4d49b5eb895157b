"""The shared kernel: machinery every domain app may use and that imports none of them.

Bounds on input, the resilient cache, the task outbox and the database helpers live here, so a
lower app never has to reach into a higher one for them.
"""
