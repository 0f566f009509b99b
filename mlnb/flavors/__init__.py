"""The MLflow-compatible model directory format (MLmodel, skops, signature, environment); no store access."""
