"""The web edge: the live map, the history view, the incident pages and the JSON/GeoJSON API.

Import ``monitor.web.app.create_app`` and ``monitor.web.server.serve`` explicitly; this
package imports nothing at import time (see README.md).
"""
