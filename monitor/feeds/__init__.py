"""Feeds: pure parsers (body -> observations) and adapters (the network edge). See README.md."""
