"""The artifact-repository contract: how everything above the store reads and writes run files.

A store's :attr:`~mlnb.store.base.Store.artifacts` is an :class:`ArtifactRepository`; the
tracking, capture, analysis, registry and Jupyter layers use this interface only, never a
backend module.  :class:`mlnb.store.artifacts.LocalArtifactRepository` implements it on a local
(or mounted) directory; an object-store repository implements the same contract, and the
contract tests in ``tests/store/test_artifact_repository.py`` run against every implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from mlnb.entities import ArtifactInfo

__all__ = ["ArtifactRepository", "ArtifactSource"]

ArtifactSource = bytes | Path
"""What a file is written from: its bytes, or a local file whose bytes are copied."""


@runtime_checkable
class ArtifactRepository(Protocol):
    """The files of a store's runs, each recorded with its sha256 and size.

    Every implementation keeps this contract:

    * **Paths.** An artifact path is a canonical relative POSIX path checked by
      :func:`mlnb.store.paths.check_relpath` (no ``..``, no absolute path, no backslash, ...);
      what is refused raises :class:`mlnb.errors.UnsafePath`.  No path, symlinks included,
      reads or writes outside the run's own artifact location, and names starting with
      ``.mlnb-`` are reserved to the store (:class:`mlnb.errors.InvalidParameter`).
    * **Hash on write, atomic.** :meth:`write_files` and :meth:`link_files` hash every file's
      bytes as they are stored and record ``(path, sha256, size)`` rows in the metadata store
      in one transaction, after the files are durable.  All or nothing: when any file, the
      move into place or the rows' commit fails, the files the call put in place are taken
      back (an overwritten path gets its previous file again) and no row is recorded, so the
      store never holds a visible file without its row.  Writing to a deleted run raises
      :class:`mlnb.errors.RunDeleted`; a file system error is an :class:`mlnb.errors.MlnbError`
      naming the path.
    * **Verify on read.** :meth:`verified_path`, :meth:`open_verified`, :meth:`read_verified`
      and :meth:`download` hand out bytes only after checking them against the recorded
      sha256 and size, before anything loads them; a file that changed or went missing
      raises :class:`mlnb.errors.IntegrityError`, a path with no row
      :class:`mlnb.errors.ArtifactNotFound`.
    """

    def write_files(self, run_id: str, items: Sequence[tuple[str, ArtifactSource]]) -> None:
        """Write ``(relative path, bytes or local file)`` pairs, then record all their rows at once."""
        ...

    def link_files(self, run_id: str, source: str, target: str) -> list[str]:
        """Record every file of the run's directory ``source`` also below ``target``, sharing its
        verified bytes; returns the new paths."""
        ...

    def verified_path(self, run_id: str, path: str) -> Path:
        """A local path holding the bytes of one artifact file, checked against its recorded sha256."""
        ...

    def open_verified(self, run_id: str, path: str) -> IO[bytes]:
        """One artifact file opened for reading, after checking it against its recorded sha256."""
        ...

    def read_verified(self, run_id: str, path: str) -> bytes:
        """The bytes of one artifact file, hashed as read: what is returned is what was logged."""
        ...

    def download(self, run_id: str, path: str, dst: Path | None = None) -> Path:
        """Copy an artifact file or directory (``""``: all of the run's) to ``dst`` (a new
        temporary directory by default), verifying every file; returns the copy's path."""
        ...

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        """The direct children of directory ``path``: files with size and hash, directories."""
        ...
