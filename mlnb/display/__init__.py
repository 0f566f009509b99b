"""Run cards and HTML rendering (escaping, tables)."""
