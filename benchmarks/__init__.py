"""Measurements of the project (speed, memory, output bytes); not part of the site."""
