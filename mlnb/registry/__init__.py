"""Registered models, versions, aliases with history, stages, promotion gates; runs:/ and models:/ URIs."""
