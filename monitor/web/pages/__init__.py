"""HTML pages built with folium: the live map, an incident, the history view."""
