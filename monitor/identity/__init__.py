"""Who a subject is: aircraft and vessel identity from observations and cited tables.

See ``README.md`` in this folder for the modules and what they may import.
"""
