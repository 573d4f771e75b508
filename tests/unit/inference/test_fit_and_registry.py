"""VRAM fit check and the model registry."""

from __future__ import annotations

import pytest

from inference.fit import check_fit, recommend
from inference.registry import UnknownModel, find_model, kv_bytes_per_token

LLAMA_8B = find_model("meta-llama/Llama-3.1-8B-Instruct")


def test_llama_8b_kv_cache_is_128_kib_per_token_in_fp16_and_half_in_fp8() -> None:
    assert LLAMA_8B.kv_bytes_per_token() == 128 * 1024
    assert LLAMA_8B.kv_bytes_per_token("fp8") == 64 * 1024
    assert kv_bytes_per_token(16, 8, 64) == 32 * 1024  # Llama-3.2-1B


def test_bf16_8b_fits_neither_12_nor_16_gib() -> None:
    for vram in (12, 16):
        report = check_fit(LLAMA_8B, vram, utilization=0.9, max_model_len=4096)
        assert not report.fits and report.max_num_seqs == 0
        assert "does NOT fit" in report.verdict


def test_awq_8b_on_12_gib_numbers() -> None:
    report = check_fit(find_model("llama-3.1-8b-awq"), 12, utilization=0.9, max_model_len=4096)
    # 12 × 0.9 = 10.8 GiB budget − 5.37 weights − 1.5 overhead = 3.93 GiB of KV at 128 KiB/token
    assert report.kv_budget_gib == pytest.approx(3.93, abs=0.01)
    assert report.kv_tokens == int(3.93 * 2**30 // (128 * 1024))
    assert report.full_sequences == report.kv_tokens // 4096 == 7
    assert report.max_num_seqs == 15 and report.fits


def test_recommendations_for_12_and_16_gib_cards() -> None:
    report12, choice12 = recommend(LLAMA_8B, 12)
    report16, choice16 = recommend(LLAMA_8B, 16)
    assert not report12.fits and choice12.alias == "llama-3.1-8b-awq"
    assert not report16.fits and choice16.alias == "llama-3.1-8b-fp8"


def test_vision_11b_bf16_does_not_fit_16_gib_and_a_text_model_is_offered() -> None:
    vision = find_model("llama-3.2-11b-vision")
    assert vision.weights_gib > 16 * 0.9
    report, choice = recommend(vision, 16)
    assert not report.fits
    assert choice is not None and not choice.vision


def test_a_model_that_fits_is_kept() -> None:
    report, choice = recommend(find_model("llama-3.2-3b"), 24)
    assert report.fits and choice is None
    assert report.max_num_seqs == 32  # capped


def test_max_model_len_beyond_the_model_context_is_refused() -> None:
    with pytest.raises(ValueError):
        check_fit(LLAMA_8B, 80, max_model_len=200_000)


def test_unknown_model_names_the_choices() -> None:
    with pytest.raises(UnknownModel) as caught:
        find_model("gpt-17")
    assert "llama-3.1-8b-awq" in caught.value.user_message
    assert find_model("LLAMA-3.2-1B").name == "meta-llama/Llama-3.2-1B-Instruct"


def test_the_verdict_blames_the_overhead_when_only_weights_plus_overhead_overflow() -> None:
    fp8 = find_model("llama-3.1-8b-fp8")
    report = check_fit(fp8, 10)  # budget 9.0 GiB: weights 8.46 fit, weights + 1.5 GiB overhead do not
    assert not report.fits and report.kv_tokens == 0
    assert "weights alone" not in report.verdict
    assert "does NOT fit" in report.verdict and "no room for the KV cache" in report.verdict
    assert "weights alone exceed" in check_fit(LLAMA_8B, 16).verdict  # 14.96 GiB > 14.4 GiB
