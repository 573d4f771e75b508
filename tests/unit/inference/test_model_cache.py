"""The embedded model's conversion cache (inference/model_cache.py): keying, atomic writes, broken copies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from inference import model_cache
from inference.model_cache import cache_dir, cache_key, cache_root, is_complete, load_or_convert, write_atomically

VERSIONS = "transformers=1;torch=1"


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 8192)  # 2 MiB: a header MiB and a body
    return path


class Recorder:
    """Counts conversions and cached loads; the "model" is the text of its one file."""

    def __init__(self) -> None:
        self.converted = 0
        self.loaded = 0

    def convert(self) -> str:
        self.converted += 1
        return "weights"

    def load_cached(self, folder: Path) -> str:
        self.loaded += 1
        return (folder / "model.bin").read_text()

    @staticmethod
    def save(obj: str, folder: Path) -> None:
        (folder / "model.bin").write_text(obj)
        (folder / "config.json").write_text("{}")


def test_key_changes_with_the_header_size_mtime_and_versions(gguf: Path) -> None:
    key = cache_key(gguf, VERSIONS)
    assert key == cache_key(gguf, VERSIONS)
    assert key != cache_key(gguf, "transformers=2;torch=1")
    data = bytearray(gguf.read_bytes())
    data[10] ^= 0xFF                                   # a header byte, same size
    stat = gguf.stat()
    gguf.write_bytes(bytes(data))
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache_key(gguf, VERSIONS) != key
    gguf.write_bytes(bytes(data) + b"x")               # a longer file
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    longer = cache_key(gguf, VERSIONS)
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache_key(gguf, VERSIONS) != longer          # touched


def test_first_load_converts_and_writes_then_later_loads_read_the_cache(gguf: Path, tmp_path: Path) -> None:
    root, rec = tmp_path / "cache", Recorder()
    assert load_or_convert(gguf, rec.load_cached, rec.convert, rec.save, root) == ("weights", "gguf (cache written)")
    folder = cache_dir(gguf, root)
    assert is_complete(folder, cache_key(gguf))
    assert json.loads((folder / model_cache.MARKER).read_text())["files"] == {"config.json": 2, "model.bin": 7}
    assert [p.name for p in root.iterdir()] == [folder.name]   # no temporary folder left behind
    assert load_or_convert(gguf, rec.load_cached, rec.convert, rec.save, root) == ("weights", "cache")
    assert (rec.converted, rec.loaded) == (1, 1)


@pytest.mark.parametrize("damage", ["truncate", "no_marker", "bad_marker", "unreadable"])
def test_a_broken_copy_falls_back_to_the_gguf_and_is_rewritten(gguf: Path, tmp_path: Path, damage: str) -> None:
    root, rec = tmp_path / "cache", Recorder()
    load_or_convert(gguf, rec.load_cached, rec.convert, rec.save, root)
    folder = cache_dir(gguf, root)
    if damage == "truncate":
        (folder / "model.bin").write_text("wei")
    elif damage == "no_marker":
        (folder / model_cache.MARKER).unlink()
    elif damage == "bad_marker":
        (folder / model_cache.MARKER).write_text("{not json")
    loader = rec.load_cached
    if damage == "unreadable":
        def loader(folder: Path) -> str:
            raise ValueError("header too large")
    assert load_or_convert(gguf, loader, rec.convert, rec.save, root) == ("weights", "gguf (cache written)")
    assert rec.converted == 2
    assert is_complete(folder, cache_key(gguf)) and (folder / "model.bin").read_text() == "weights"
    assert load_or_convert(gguf, rec.load_cached, rec.convert, rec.save, root)[1] == "cache"


def test_a_failed_save_leaves_nothing_and_still_returns_the_model(gguf: Path, tmp_path: Path) -> None:
    root, rec = tmp_path / "cache", Recorder()

    def save(obj: str, folder: Path) -> None:
        (folder / "model.bin").write_text("half")
        raise OSError("disk full")

    assert load_or_convert(gguf, rec.load_cached, rec.convert, save, root) == ("weights", "gguf")
    assert list(root.iterdir()) == []


def test_a_copy_finished_by_another_process_meanwhile_is_kept(gguf: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    key = cache_key(gguf)
    folder = cache_dir(gguf, root, key)
    assert write_atomically(folder, key, lambda tmp: (tmp / "model.bin").write_text("first"))
    assert write_atomically(folder, key, lambda tmp: (tmp / "model.bin").write_text("second"))
    assert (folder / "model.bin").read_text() == "first"
    assert len(list(root.iterdir())) == 1


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOREKEEPER_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == tmp_path / "lorekeeper" / "models"
    monkeypatch.setenv("LOREKEEPER_MODEL_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.setenv("LOREKEEPER_MODEL_CACHE", "off")
    assert cache_root() is None
    rec = Recorder()
    assert load_or_convert(Path("/nonexistent.gguf"), rec.load_cached, rec.convert, rec.save) == ("weights", "gguf")
