"""Getting a Llama onto disk: Hugging Face (gated, HF_TOKEN, resumable) or Meta's signed URL.

Meta's flow: the user fills Meta's form, receives a signed URL with a `*` placeholder
(`https://llama3-1.llamameta.net/*?Policy=…&Signature=…&Key-Pair-Id=…`), and each file is
fetched by putting its path in place of `*` (as Meta's `download.sh` does). The native
checkpoint (`consolidated.*.pth`, `params.json`, `tokenizer.model`) is then converted to
Hugging Face format with transformers' `convert_llama_weights_to_hf.py`, which vLLM loads.

Nothing here runs in tests except validation and `.env` merging: downloads are multi-GB.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from inference.errors import DownloadError

__all__ = ["DownloadError", "convert_command", "download_hf", "download_meta", "merge_env_text",
           "meta_file_url", "validate_meta_url", "write_env"]

log = logging.getLogger(__name__)

_META_HOST = re.compile(r"^[a-z0-9-]+\.llamameta\.net$")
_META_QUERY = ("Policy", "Signature", "Key-Pair-Id")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def validate_meta_url(url: str) -> str:
    """Check a pasted Meta signed URL; return it stripped.

    Raises:
        DownloadError: not https, not a llamameta.net host, no `*` placeholder, or unsigned.
    """
    url = url.strip()
    parts = urlsplit(url)
    problem = None
    if parts.scheme != "https":
        problem = "it must start with https://"
    elif not _META_HOST.match(parts.hostname or ""):
        problem = "it must be on a *.llamameta.net host"
    elif "*" not in parts.path:
        problem = "it must contain the `*` placeholder Meta's email shows"
    else:
        query = parse_qs(parts.query)
        missing = [key for key in _META_QUERY if not query.get(key)]
        if missing:
            problem = f"it is missing its signature ({', '.join(missing)}); copy the whole URL"
    if problem:
        raise DownloadError(f"bad Meta URL: {problem}", f"That is not a Meta download URL: {problem}.")
    return url


def meta_file_url(url: str, file_path: str) -> str:
    """The signed URL for one file: `file_path` in place of the `*` placeholder."""
    return validate_meta_url(url).replace("*", file_path, 1)


def _fetch_resumable(url: str, dest: Path, chunk: int = 1 << 22) -> None:
    """GET `url` into `dest`, continuing a partial `dest.part` with a Range request."""
    partial = dest.with_name(dest.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - https checked above
        mode = "ab" if have and response.status == 206 else "wb"
        with partial.open(mode) as out:
            shutil.copyfileobj(response, out, chunk)
    partial.replace(dest)


def download_meta(url: str, model_dir: str, dest: Path, *, shards: int = 1) -> Path:
    """Fetch a native Meta checkpoint (`model_dir` as in Meta's download.sh) into `dest`."""
    validate_meta_url(url)
    dest.mkdir(parents=True, exist_ok=True)
    files = [f"consolidated.{i:02d}.pth" for i in range(shards)] + ["params.json", "tokenizer.model"]
    for name in files:
        target = dest / name
        if target.exists():
            continue
        log.info("downloading %s/%s", model_dir, name)  # never log the signed URL: it is a credential
        try:
            _fetch_resumable(meta_file_url(url, f"{model_dir}/{name}"), target)
        except OSError as exc:
            raise DownloadError(f"download of {name} failed: {type(exc).__name__}",
                                "The Meta download failed (the URL expires after 24 h or 5 downloads); "
                                "request a new one and run setup again — finished files are kept.") from None
    return dest


def convert_command(native_dir: Path, output_dir: Path, *, model_size: str = "8B", llama_version: str = "3.1",
                    script: Path | None = None) -> list[str]:
    """argv converting a native checkpoint to Hugging Face format with transformers' script."""
    if script is None:
        raise DownloadError("convert_llama_weights_to_hf.py not found",
                            "The conversion script is not in this transformers install: fetch "
                            "src/transformers/models/llama/convert_llama_weights_to_hf.py from the transformers "
                            "repository and pass it with --convert-script.")
    return [sys.executable, str(script), "--input_dir", str(native_dir), "--output_dir", str(output_dir),
            "--model_size", model_size, "--llama_version", llama_version, "--instruct", "--safe_serialization"]


def run_conversion(argv: list[str]) -> None:
    result = subprocess.run(argv, check=False)  # noqa: S603 - argv built above
    if result.returncode != 0:
        raise DownloadError(f"conversion exited with {result.returncode}", "Converting the Meta checkpoint failed.")


def download_hf(repo_id: str, dest: Path, *, token: str | None, endpoint: str | None = None) -> Path:
    """Snapshot `repo_id` into `dest` (resumes partial files; weights, config and tokenizer only).
    `endpoint` overrides the Hub URL (a mirror)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    try:
        path = snapshot_download(repo_id, local_dir=dest, token=token, endpoint=endpoint,
                                 allow_patterns=["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt"])
    except GatedRepoError:
        raise DownloadError(f"{repo_id} is gated",
                            f"{repo_id} is gated: accept its licence on https://huggingface.co/{repo_id} "
                            "and set HF_TOKEN to a token of that account.") from None
    except RepositoryNotFoundError:
        raise DownloadError(f"{repo_id} not found", f"Hugging Face has no repository {repo_id!r} "
                            "(or HF_TOKEN cannot see it).") from None
    except (HfHubHTTPError, OSError) as exc:  # offline, Hub errors, disk full: one line, not a traceback
        raise DownloadError(f"download of {repo_id} failed: {type(exc).__name__}",
                            f"Downloading {repo_id} from Hugging Face failed ({type(exc).__name__}); check the "
                            "network and disk space and run setup again — it resumes where it stopped.") from None
    return Path(path)


def _quote(value: str) -> str:
    if value == "" or re.search(r"[\s#\"'$]", value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def merge_env_text(text: str, updates: Mapping[str, str]) -> str:
    """`.env` text with `updates` applied: existing keys rewritten in place, others appended,
    comments and unrelated lines kept."""
    pending = dict(updates)
    lines = []
    for line in text.splitlines():
        match = _ENV_LINE.match(line)
        if match and match.group(1) in pending:
            key = match.group(1)
            lines.append(f"{key}={_quote(str(pending.pop(key)))}")
        else:
            lines.append(line)
    lines += [f"{key}={_quote(str(value))}" for key, value in pending.items()]
    return "\n".join(lines) + "\n"


def write_env(path: Path, updates: Mapping[str, str]) -> None:
    """Apply `updates` to the `.env` at `path` (created if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(merge_env_text(text, updates), encoding="utf-8")
