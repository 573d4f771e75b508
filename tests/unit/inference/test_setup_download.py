"""Setup helpers that run without a network: Meta URL validation and `.env` merging."""

from __future__ import annotations

import pytest

from inference.download import DownloadError, convert_command, merge_env_text, meta_file_url, validate_meta_url

GOOD = "https://llama3-1.llamameta.net/*?Policy=abc&Signature=def&Key-Pair-Id=K123&Download-Request-ID=9"


def test_a_signed_meta_url_is_accepted_and_expanded_per_file() -> None:
    assert validate_meta_url(f"  {GOOD}\n") == GOOD
    assert meta_file_url(GOOD, "Meta-Llama-3.1-8B-Instruct/params.json").startswith(
        "https://llama3-1.llamameta.net/Meta-Llama-3.1-8B-Instruct/params.json?Policy=abc")


@pytest.mark.parametrize("url, why", [
    (GOOD.replace("https", "http"), "https"),
    (GOOD.replace("llamameta.net", "llamameta.net.evil.com"), "llamameta.net"),
    (GOOD.replace("/*", "/x"), "placeholder"),
    (GOOD.replace("Signature=def&", ""), "Signature"),
])
def test_bad_meta_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(DownloadError) as caught:
        validate_meta_url(url)
    assert why in caught.value.user_message


def test_env_merge_rewrites_in_place_and_appends() -> None:
    text = "# settings\nDISCORD_TOKEN=abc\nexport MAX_MODEL_LEN=8192\nLOCAL_MODEL_NAME=old\n"
    merged = merge_env_text(text, {"LOCAL_MODEL_NAME": "hugging-quants/x", "MAX_MODEL_LEN": "4096",
                                   "LOCAL_MODEL_PATH": "/models/my llama"})
    assert merged == ("# settings\nDISCORD_TOKEN=abc\nMAX_MODEL_LEN=4096\nLOCAL_MODEL_NAME=hugging-quants/x\n"
                      'LOCAL_MODEL_PATH="/models/my llama"\n')


def test_conversion_needs_the_script(tmp_path) -> None:
    with pytest.raises(DownloadError):
        convert_command(tmp_path / "native", tmp_path / "hf")
    argv = convert_command(tmp_path / "native", tmp_path / "hf", script=tmp_path / "convert.py")
    assert argv[argv.index("--llama_version") + 1] == "3.1" and "--instruct" in argv


def test_an_unreachable_hub_is_a_friendly_download_error(tmp_path) -> None:
    from inference.download import DownloadError, download_hf

    with pytest.raises(DownloadError) as caught:  # nothing listens on port 1: connection refused at once
        download_hf("meta-llama/Llama-3.2-1B-Instruct", tmp_path / "m", token="hf_SECRETtoken",
                    endpoint="http://127.0.0.1:1")
    assert "Hugging Face" in caught.value.user_message and "run setup again" in caught.value.user_message
    assert "SECRET" not in str(caught.value) + caught.value.user_message
