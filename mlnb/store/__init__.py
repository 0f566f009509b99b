"""Persistence: metadata SQL, artifact files, the filter language. Only this package talks SQL."""
