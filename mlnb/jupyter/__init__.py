"""The Jupyter server extension: authenticated REST handlers under /mlnb/api/."""
