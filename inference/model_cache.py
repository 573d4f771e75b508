"""A disk cache of the embedded model converted from its GGUF, so a later start skips the conversion.

Loading SmolLM2 with transformers' `gguf_file=` parses the GGUF and de-quantises every tensor on
each start (~20-40 s on 2 cores). The first load saves the converted model and tokenizer with
`save_pretrained` (fp32 safetensors, bit-identical weights, so greedy output is the same); later
starts read that folder (~1-3 s). The folder is keyed by the GGUF's size, mtime, a hash of its
first MiB (the GGUF header and metadata) and the transformers and torch versions: a new model
file or library gets a new folder.

Written atomically: the copy is saved into a temporary folder next to the final one with a
`complete.json` marker (the key and every file's size), then renamed into place. A folder without
a valid marker, with a file of another size, or that fails to load is removed and rebuilt from the
GGUF. Where: `LOREKEEPER_MODEL_CACHE` if set (`off` disables the cache), else
`$XDG_CACHE_HOME/lorekeeper/models` (default `~/.cache/lorekeeper/models`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HEADER_BYTES", "MARKER", "cache_dir", "cache_key", "cache_root", "is_complete", "load_or_convert",
           "write_atomically"]

log = logging.getLogger(__name__)

HEADER_BYTES = 1 << 20      # the GGUF header + metadata + tensor index sit in its first MiB
MARKER = "complete.json"
_OFF = {"off", "0", "no", "false", "none"}


def cache_root() -> Path | None:
    """The folder holding converted models, or None when `LOREKEEPER_MODEL_CACHE=off`."""
    explicit = os.environ.get("LOREKEEPER_MODEL_CACHE", "").strip()
    if explicit.lower() in _OFF and explicit:
        return None
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "lorekeeper" / "models"


def _versions() -> str:
    """The converting libraries' versions, from their metadata (importing them would take seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("transformers", "torch"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=none")
    return ";".join(found)


def cache_key(gguf_path: Path, versions: str | None = None) -> str:
    """A short hex key for this GGUF file (size, mtime, header hash) converted by these library versions."""
    stat = gguf_path.stat()
    with gguf_path.open("rb") as f:
        header = hashlib.sha256(f.read(HEADER_BYTES)).hexdigest()
    text = f"{gguf_path.name}|{stat.st_size}|{stat.st_mtime_ns}|{header}|{versions or _versions()}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cache_dir(gguf_path: Path, root: Path, key: str | None = None) -> Path:
    """The folder for this GGUF's converted copy under `root`."""
    return root / f"{gguf_path.stem}-{key or cache_key(gguf_path)}"


def is_complete(folder: Path, key: str) -> bool:
    """Whether `folder` holds a finished copy for `key`: its marker names the key and every file has its size."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = marker["files"]
        return marker.get("key") == key and bool(files) and all(
            (folder / name).stat().st_size == size for name, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def write_atomically(folder: Path, key: str, save: Callable[[Path], None]) -> bool:
    """Run `save(tmp)` into a temporary sibling folder, mark it complete, rename it to `folder`.
    False (and nothing left behind) if saving failed or another process won the race."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        save(tmp)
        files = {p.name: p.stat().st_size for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / MARKER).write_text(json.dumps({"key": key, "files": files}), encoding="utf-8")
        if is_complete(folder, key):  # another process finished first: keep its copy
            return True
        if folder.exists():  # a stale or broken copy (the caller checked it is not complete)
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        return True
    except OSError as exc:
        log.warning("could not write the model cache %s: %s", folder, exc)
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_or_convert(gguf_path: Path, load_cached: Callable[[Path], Any], convert: Callable[[], Any],
                    save: Callable[[Any, Path], None], root: Path | None = None) -> tuple[Any, str]:
    """(the loaded object, where it came from: "cache", "gguf" or "gguf (cache written)").

    `load_cached(folder)` reads a converted copy; `convert()` reads the GGUF; `save(obj, folder)` writes a
    copy. A broken copy (no marker, wrong sizes, failing to load) is removed and rewritten."""
    root = root if root is not None else cache_root()
    if root is None:
        return convert(), "gguf"
    key = cache_key(gguf_path)
    folder = cache_dir(gguf_path, root, key)
    if is_complete(folder, key):
        try:
            return load_cached(folder), "cache"
        except Exception as exc:  # noqa: BLE001 - any failure of a cached copy means: rebuild it
            log.warning("the model cache %s is unreadable (%s); converting the GGUF again", folder, exc)
    obj = convert()
    wrote = write_atomically(folder, key, lambda tmp: save(obj, tmp))
    return obj, "gguf (cache written)" if wrote else "gguf"
