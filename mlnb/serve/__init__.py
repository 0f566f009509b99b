"""The MLflow-compatible scoring server (ASGI on uvicorn)."""
