"""The core every flow shares: article schema, shared data lists, dates, Vietnamese text, tagging by campaign and theme, the project's paths. Imports nothing else of the project, and no Pelican."""
