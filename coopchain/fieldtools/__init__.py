"""Plots from the field tools cooperatives use: KoboToolbox/ODK exports, KML/KMZ and GPX."""
