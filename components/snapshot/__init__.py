"""Builders of the server-less snapshot (``backend.snapshot`` assembles the file)."""
