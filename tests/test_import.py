"""``import mlnb`` stays light: the public API is lazy."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["pandas", "numpy", "sqlalchemy", "sklearn", "shap", "matplotlib", "IPython", "ipywidgets", "scipy"]


def test_import_mlnb_loads_no_heavy_library() -> None:
    code = f"import sys, mlnb; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_public_name_resolves() -> None:
    import mlnb

    for name in mlnb.__all__:
        assert getattr(mlnb, name) is not None, name
    assert set(mlnb.__all__) <= set(dir(mlnb))
