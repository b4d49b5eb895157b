"""The mail app's pages, one module per concept."""
