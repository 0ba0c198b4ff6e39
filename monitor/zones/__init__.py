"""Zones: the shipped zone set, user imports, validation and version history (pure)."""
