"""Writes of the mail app that span models, one module per concept."""
