"""The exact `vllm serve` argv and vLLM /metrics parsing."""

from __future__ import annotations

from inference.vllm_backend import parse_vllm_queue
from inference.vllm_server import VLLMServerConfig, build_command, describe


def test_default_command_line() -> None:
    argv = build_command(VLLMServerConfig())
    assert describe(argv) == (
        "vllm serve meta-llama/Llama-3.1-8B-Instruct --host 127.0.0.1 --port 8000 "
        "--served-model-name meta-llama/Llama-3.1-8B-Instruct --gpu-memory-utilization 0.9 "
        "--max-model-len 4096 --max-num-seqs 16 --tensor-parallel-size 1 --enable-prefix-caching")


def test_optional_flags_appear_only_when_set() -> None:
    argv = build_command(VLLMServerConfig(model="/models/llama", served_model_name="llama", quantization="awq_marlin",
                                          kv_cache_dtype="fp8", enable_sleep_mode=True, gpu_memory_utilization=0.85,
                                          tensor_parallel_size=2, extra_args=("--seed", "1")))
    assert argv[:3] == ["vllm", "serve", "/models/llama"]
    assert argv[argv.index("--served-model-name") + 1] == "llama"
    assert argv[argv.index("--quantization") + 1] == "awq_marlin"
    assert argv[argv.index("--kv-cache-dtype") + 1] == "fp8"
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.85"
    assert argv[argv.index("--tensor-parallel-size") + 1] == "2"
    assert "--enable-sleep-mode" in argv and argv[-2:] == ["--seed", "1"]
    assert "--quantization" not in build_command(VLLMServerConfig())


def test_queue_gauges_are_summed() -> None:
    text = ('# HELP vllm:num_requests_waiting x\n'
            'vllm:num_requests_waiting{engine="0",model_name="a"} 3.0\n'
            'vllm:num_requests_running{engine="0",model_name="a"} 5.0\n'
            'vllm:num_requests_waiting{engine="1",model_name="a"} 2.0\n')
    assert parse_vllm_queue(text) == (5, 5)


def test_the_child_environment_values_stay_out_of_repr() -> None:
    """`env` may carry HF_TOKEN for a gated repo id; a logged or error-printed config must not show it."""
    config = VLLMServerConfig(env=(("HF_TOKEN", "hf_SECRETvalue"), ("VLLM_LOGGING_LEVEL", "INFO")))
    text = repr(config)
    assert "hf_SECRETvalue" not in text and "HF_TOKEN" in text
    assert "meta-llama/Llama-3.1-8B-Instruct" in text and "port=8000" in text
