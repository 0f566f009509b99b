"""explain, evaluate and drift."""
