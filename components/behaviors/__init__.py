"""Builders of the Behaviors page: layout, toolbar, header, AG Grid columns and rows, extras, and
the decoding of its controls' events."""
