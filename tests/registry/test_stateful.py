"""Random sequences of registry operations agree with a plain in-memory model of the registry."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import mlnb
from mlnb.errors import ModelNotFound
from tests.conftest import _reset_tracking_state

NAMES = st.sampled_from(["a", "b"])
ALIASES = st.sampled_from(["x", "y"])
STAGES = st.sampled_from(["None", "Staging", "Production", "Archived"])


class Registry(RuleBasedStateMachine):
    """Expected state: name -> {"last": int, "versions": {v: stage}, "aliases": {alias: v}}."""

    @initialize()
    def open_store(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.old_env = os.environ.get("MLNB_STORE")
        os.environ["MLNB_STORE"] = os.path.join(self.tmp.name, ".mlnb")
        _reset_tracking_state()
        with mlnb.start_run() as run:  # a minimal model directory: all registration checks
            mlnb.log_text("flavors: {}\n", "model/MLmodel")
        self.uri = f"runs:/{run.info.run_id}/model"
        self.models: dict[str, dict] = {}
        self.moves: dict[tuple[str, str], int] = {}  # (name, alias) -> periods opened

    def teardown(self) -> None:
        _reset_tracking_state()
        if self.old_env is None:
            os.environ.pop("MLNB_STORE", None)
        else:
            os.environ["MLNB_STORE"] = self.old_env
        self.tmp.cleanup()

    def _existing(self, data: st.DataObject) -> tuple[str, int]:
        name = data.draw(st.sampled_from(sorted(n for n, m in self.models.items() if m["versions"])))
        return name, data.draw(st.sampled_from(sorted(self.models[name]["versions"])))

    def _any_versions(self) -> bool:
        return any(m["versions"] for m in self.models.values())

    @rule(name=NAMES)
    def register(self, name: str) -> None:
        model = self.models.setdefault(name, {"last": 0, "versions": {}, "aliases": {}})
        model["last"] += 1
        assert mlnb.register_model(self.uri, name).version == model["last"]
        model["versions"][model["last"]] = "None"

    @precondition(_any_versions)
    @rule(data=st.data())
    def delete_version(self, data: st.DataObject) -> None:
        name, version = self._existing(data)
        mlnb.delete_model_version(name, version)
        model = self.models[name]
        del model["versions"][version]
        model["aliases"] = {a: v for a, v in model["aliases"].items() if v != version}

    @precondition(_any_versions)
    @rule(data=st.data(), alias=ALIASES)
    def set_alias(self, data: st.DataObject, alias: str) -> None:
        name, version = self._existing(data)
        mlnb.set_registered_model_alias(name, alias, version)
        if self.models[name]["aliases"].get(alias) != version:
            self.moves[(name, alias)] = self.moves.get((name, alias), 0) + 1
        self.models[name]["aliases"][alias] = version

    @precondition(_any_versions)
    @rule(data=st.data(), stage=STAGES, archive=st.booleans())
    def transition(self, data: st.DataObject, stage: str, archive: bool) -> None:
        name, version = self._existing(data)
        archive = archive and stage in ("Staging", "Production")
        mlnb.transition_model_version_stage(name, version, stage.lower(), archive_existing_versions=archive)
        versions = self.models[name]["versions"]
        if archive:
            for other, current in versions.items():
                if current == stage:
                    versions[other] = "Archived"
        versions[version] = stage

    @precondition(lambda self: bool(self.models))
    @rule(data=st.data())
    def delete_model(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.models)))
        mlnb.delete_registered_model(name)
        del self.models[name]

    @invariant()
    def store_matches_model(self) -> None:
        if not hasattr(self, "models"):
            return
        got = {(v.name, v.version): (v.current_stage, v.aliases) for v in mlnb.search_model_versions()}
        want = {}
        for name, model in self.models.items():
            for version, stage in model["versions"].items():
                held = sorted(a for a, v in model["aliases"].items() if v == version)
                want[(name, version)] = (stage, held)
        assert got == want
        assert sorted(m.name for m in mlnb.search_registered_models()) == sorted(self.models)
        for name, model in self.models.items():
            newest = {}
            for version, stage in sorted(model["versions"].items()):
                newest[stage] = version
            assert {v.current_stage: v.version for v in mlnb.get_latest_versions(name)} == newest
            history = mlnb.get_alias_history(name)
            current = history[history["current"]]
            assert dict(zip(current["alias"], current["version"], strict=True)) == model["aliases"]
            for alias in model["aliases"]:
                assert mlnb.get_model_version_by_alias(name, alias).version == model["aliases"][alias]
            for alias in {"x", "y"} - set(model["aliases"]):
                with pytest.raises(ModelNotFound):
                    mlnb.get_model_version_by_alias(name, alias)


Registry.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
test_registry_agrees_with_a_plain_model = Registry.TestCase
