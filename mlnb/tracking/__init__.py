"""The fluent tracking API, the active run and search_runs as DataFrames."""
