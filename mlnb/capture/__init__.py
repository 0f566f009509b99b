"""What one %%track cell execution did: params, metrics, models, figures, outputs, context."""
