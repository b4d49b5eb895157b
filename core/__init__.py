"""The shared kernel: machinery every domain app may use and that imports none of them.

Bounds on input (`bounds`), money (`money`), the pager of big lists (`pagination`), the base of
every list's filters (`filters`), pages that the apps above compose (`pages`), what views share
(`views.helpers`: calling a service from a form, lists, form pages), the resilient cache, the
task outbox and the database helpers live here, so a lower app never has to reach into a higher
one for them.
"""
