"""The application's use cases. The API, console and CLI call these; none re-implements a rule."""
