"""Model URIs: the few accepted forms, or a clear refusal.

Accepted::

    runs:/<run_id>/<artifact_path>     a model logged in a run
    models:/<name>/<version>           a registered version (1, 2, ...)
    models:/<name>/<stage>             newest version in Staging, Production, Archived or None
    models:/<name>/latest              newest version of the model
    models:/<name>@<alias>             the version an alias points at

Anything else is refused with :class:`mlnb.InvalidUri`: other schemes (``file:``, ``http:``,
``s3:``, ...), bare or absolute paths, and every trick MLflow's artifact handlers have been
fooled with (``../``, ``%2e%2e/``, ``%252e%252e/``, ``\\..\\``, ``;../``, ``#/../``, ``?``
queries, drive letters, control characters).  The artifact path is checked with
:func:`mlnb.store.paths.check_relpath`, the same rule every artifact write obeys.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mlnb.errors import InvalidUri, UnsafePath
from mlnb.store.paths import check_relpath

MAX_URI_LENGTH = 2048
MAX_NAME_LENGTH = 256

ACCEPTED_FORMS = (
    "runs:/<run_id>/<artifact_path>, models:/<name>/<version>, models:/<name>/<stage>, "
    "models:/<name>/latest or models:/<name>@<alias>"
)
STAGES = ("None", "Staging", "Production", "Archived")

_RUN_ID = re.compile(r"[0-9a-fA-F]{32}")
# A registered model name: word characters, '.', '-' and inner spaces; it starts with a word
# character so it can never be '.', '..' or look like an option.
_NAME = re.compile(r"\w(?:[\w.\- ]*[\w.\-])?")
_ALIAS = re.compile(r"[\w\-]+")
_VERSION_LIKE_ALIAS = re.compile(r"[vV]\d+")
# Characters never valid anywhere in a model URI: encodings, URL delimiters, Windows separators.
_FORBIDDEN = set("\\%?#;*\"<>|`$'")


@dataclass(frozen=True)
class ModelReference:
    """A parsed ``models:/`` URI; exactly one of version, stage, alias is set unless latest."""

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None
    latest: bool = False


def _refuse(uri: object, why: str) -> InvalidUri:
    shown = repr(uri) if len(repr(uri)) <= 120 else repr(uri)[:117] + "..."
    return InvalidUri(f"model URI {shown} is refused: {why}; use {ACCEPTED_FORMS}")


def _check_text(uri: object) -> str:
    if not isinstance(uri, str):
        raise _refuse(uri, f"it is a {type(uri).__name__}, not a string")
    if uri == "":
        raise _refuse(uri, "it is empty")
    if len(uri) > MAX_URI_LENGTH:
        raise _refuse(uri, f"it is longer than {MAX_URI_LENGTH} characters")
    for ch in uri:
        if ch in _FORBIDDEN:
            raise _refuse(uri, f"it contains {ch!r}")
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise _refuse(uri, f"it contains the control or invisible character {ch!r}")
    if uri != uri.strip():
        raise _refuse(uri, "it starts or ends with whitespace")
    return uri


def _bad_name(name: object, uri: object, why: str, what: str = "registered model name") -> InvalidUri:
    if uri is not None:
        return _refuse(uri, why)
    return InvalidUri(f"{what} {name!r} is refused: {why}")


def check_model_name(name: object, *, uri: object = None) -> str:
    """Return ``name`` if it is a valid registered model name, else raise :class:`InvalidUri`.

    A name uses letters, digits, ``_``, ``.``, ``-`` and inner spaces (at most 256 characters),
    so that it always fits in a ``models:/<name>/...`` URI.

    Examples
    --------
    >>> check_model_name("churn-model")
    'churn-model'
    """
    if not isinstance(name, str) or not name:
        raise _bad_name(name, uri, "a model name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise _bad_name(name, uri, f"a model name has at most {MAX_NAME_LENGTH} characters")
    if not _NAME.fullmatch(name) or unicodedata.normalize("NFC", name) != name:
        raise _bad_name(
            name,
            uri,
            f"the model name {name!r} must use letters, digits, '_', '.', '-' or inner spaces "
            "and start with a letter, digit or '_'",
        )
    return name


def check_alias(alias: object, *, uri: object = None) -> str:
    """Return ``alias`` if valid: word characters and '-', not 'latest', not like 'v3'."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias) or len(alias) > MAX_NAME_LENGTH:
        raise _bad_name(alias, uri, "an alias uses only letters, digits, '_' or '-'", "alias")
    if alias.lower() == "latest" or _VERSION_LIKE_ALIAS.fullmatch(alias):
        raise _bad_name(alias, uri, "'latest' and 'v<number>' are reserved (they read as versions)", "alias")
    return alias


def canonical_stage(stage: object) -> str | None:
    """The canonical spelling of a stage (case-insensitive input), or ``None`` if not a stage."""
    if isinstance(stage, str):
        for known in STAGES:
            if stage.lower() == known.lower():
                return known
    return None


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """Split a ``runs:/<run_id>/<path>`` URI into (run_id, artifact_path), refusing all else."""
    uri = _check_text(uri)
    if not uri.startswith("runs:/"):
        raise _refuse(uri, "it is not a runs:/ URI")
    rest = uri[len("runs:/") :]
    run_id, sep, path = rest.partition("/")
    if not _RUN_ID.fullmatch(run_id):
        raise _refuse(uri, "the run id must be 32 hex characters right after 'runs:/'")
    if not sep or not path:
        raise _refuse(uri, "it names no artifact path after the run id")
    try:
        path = check_relpath(path)
    except UnsafePath as exc:
        raise _refuse(uri, f"its artifact path is unsafe ({exc})") from None
    return run_id.lower(), path


def parse_models_uri(uri: str) -> ModelReference:
    """Parse a ``models:/`` URI into a :class:`ModelReference` without touching the store."""
    uri = _check_text(uri)
    if not uri.startswith("models:/") or uri.startswith("models://"):
        raise _refuse(uri, "it is not a models:/ URI")
    rest = uri[len("models:/") :]
    if "/" not in rest and "@" in rest:
        name, _, alias = rest.partition("@")
        return ModelReference(check_model_name(name, uri=uri), alias=check_alias(alias, uri=uri))
    name, sep, ref = rest.partition("/")
    if not sep or not ref:
        raise _refuse(uri, "it names no version, stage, 'latest' or '@alias' after the model")
    if "/" in ref or "@" in name:
        raise _refuse(uri, "it has more parts than models:/<name>/<version|stage|latest>")
    name = check_model_name(name, uri=uri)
    if ref.isascii() and ref.isdigit():
        version = int(ref)
        if version < 1 or ref != str(version):
            raise _refuse(uri, "a version is a positive integer without leading zeros")
        return ModelReference(name, version=version)
    if ref.lower() == "latest":
        return ModelReference(name, latest=True)
    stage = canonical_stage(ref)
    if stage is None:
        raise _refuse(uri, f"{ref!r} is not a version number, 'latest' or one of {STAGES}")
    return ModelReference(name, stage=stage)


def resolve_model_uri(uri: str) -> tuple[str, str]:
    """Return ``(run_id, artifact_path)`` of the model a URI names.

    ``models:/`` URIs are looked up in the registry of the active store; ``runs:/`` URIs are
    only parsed (the caller checks the run and its files exist).

    Parameters
    ----------
    uri : str
        One of the accepted forms listed in this module's docstring.

    Raises
    ------
    mlnb.InvalidUri
        Any other form, scheme or unsafe path.
    mlnb.ModelNotFound
        A ``models:/`` URI naming no registered version.

    Examples
    --------
    >>> resolve_model_uri("runs:/" + "a" * 32 + "/model")
    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'model')
    """
    text = _check_text(uri)
    if text.startswith("runs:/"):
        return parse_runs_uri(text)
    if text.startswith("models:/"):
        ref = parse_models_uri(text)
        from mlnb.registry.references import resolve_version

        return resolve_version(ref.name, version=ref.version, alias=ref.alias, stage=ref.stage)
    scheme = text.split(":", 1)[0] if ":" in text else ""
    if scheme and scheme.isalpha() and len(scheme) > 1:
        raise _refuse(text, f"the scheme {scheme + ':'!r} is not accepted")
    raise _refuse(text, "it is a path, not a model URI")
