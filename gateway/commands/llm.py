"""`lorekeeper llm setup|serve|status|fit|ask`: the local model's download, fit check, server and health.

Settings are the typed `gateway.settings.Settings`; turning them into inference configs
(`inference_plan`, `server_config`, `build_backend`) is `inference.factory`'s job, which needs no
Ray, so `llm ask` starts without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.settings import Settings
    from inference.vllm_server import VLLMServerConfig

# the model SDKs (openai, google-genai) and vLLM's helpers load only inside a handler: `lorekeeper --help`
# must not pay for them

__all__ = ["register"]


def _settings() -> Settings:
    from gateway.settings import get_settings

    return get_settings()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("llm", help="local model: setup, serve, status, fit check")
    sub = parser.add_subparsers(dest="llm_command", metavar="ACTION", required=True)

    status = sub.add_parser("status", help="backends, GPU, vLLM health and the fit verdict")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)

    fit = sub.add_parser("fit", help="does a model fit a card? (weights + KV cache at MAX_MODEL_LEN; "
                                     "exit status 1 when it does not)")
    fit.add_argument("--model", default=None, help="registry alias or repo id (default LOCAL_MODEL_NAME)")
    fit.add_argument("--vram-gib", type=float, default=None, help="card size (default: read with nvidia-ml-py)")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(func=_fit)

    serve = sub.add_parser("serve", help="run `vllm serve` under supervision until Ctrl-C")
    serve.add_argument("--dry-run", action="store_true", help="print the command line and exit")
    serve.add_argument("--json", action="store_true")
    serve.set_defaults(func=_serve, default_log_level="INFO")

    ask = sub.add_parser("ask", help="send one message through the router (or one backend) and print the answer")
    ask.add_argument("message", nargs="+")
    ask.add_argument("--backend", default=None, help="only this backend (vllm, gemini, xai, embedded)")
    ask.add_argument("--schema", type=Path, default=None, help="a JSON schema file: answer in that shape")
    ask.add_argument("--max-tokens", type=int, default=256)
    ask.add_argument("--temperature", type=float, default=0.7)
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=_ask)

    setup = sub.add_parser("setup", help="download a Llama, check it fits, write .env")
    setup.add_argument("--model", default=None, help="registry alias or repo id (default LOCAL_MODEL_NAME)")
    setup.add_argument("--source", choices=("hf", "meta"), default="hf")
    setup.add_argument("--meta-url", default=None, help="the signed URL from Meta's download email")
    setup.add_argument("--meta-model-dir", default="Meta-Llama-3.1-8B-Instruct", help="folder name in Meta's URL")
    setup.add_argument("--convert-script", type=Path, default=None, help="transformers' convert_llama_weights_to_hf.py")
    setup.add_argument("--dest", type=Path, default=None, help="download folder (default DATA_DIR/models/NAME)")
    setup.add_argument("--vram-gib", type=float, default=None)
    setup.add_argument("--accept-recommendation", action="store_true", help="use the model the fit check proposes")
    setup.add_argument("--no-download", action="store_true")
    setup.add_argument("--env-file", type=Path, default=Path(".env"))
    setup.add_argument("--json", action="store_true")
    setup.set_defaults(func=_setup)


def read_gpus() -> Any:
    """The GPUs nvidia-ml-py sees (imported on use; a test replaces this function)."""
    from monitoring.gpu import read_gpus as read

    return read()


def _vram_gib(explicit: float | None) -> float | None:
    if explicit:
        return explicit
    gpus = read_gpus()
    return gpus[0].total_gib if gpus else None


def _fit(args: argparse.Namespace) -> int:
    from inference.errors import NoGpu
    from inference.fit import check_fit, recommend
    from inference.registry import find_model

    settings = _settings()
    spec = find_model(args.model or settings.local_model_name)
    vram = _vram_gib(args.vram_gib)
    if vram is None:
        raise NoGpu("No NVIDIA GPU found: pass --vram-gib to check a card you plan to use.")
    report, choice = recommend(spec, vram, utilization=settings.gpu_memory_utilization,
                               max_model_len=settings.max_model_len)
    out = report.to_dict() | {"recommendation": choice.name if choice else None}
    if args.json:
        print(json.dumps(out))
    else:
        print(report.verdict)
        if choice:
            alternative = check_fit(choice, vram, utilization=report.utilization, max_model_len=report.max_model_len)
            print(f"recommended instead: {choice.name} ({choice.quantization}) -> {alternative.verdict}")
    return 0 if report.fits else 1


async def _probe_vllm(config: VLLMServerConfig) -> bool:
    from inference.vllm_server import VLLMServerManager

    return await VLLMServerManager(config).health()


def _status(args: argparse.Namespace) -> int:
    from inference.factory import inference_plan, server_config
    from inference.fit import check_fit
    from inference.registry import UnknownModel, find_model
    from inference.vllm_server import build_command, describe

    settings = _settings()
    gpus = read_gpus()
    config = server_config(settings)
    plan = inference_plan(settings, gpus=gpus or [])
    from inference.embedded_model import default_gguf_path

    try:
        gguf = str(default_gguf_path()) if default_gguf_path().is_file() else None
    except FileNotFoundError:
        gguf = None
    out: dict[str, Any] = {
        "order": [name for name, _ in plan.backends],
        "local_model": settings.local_model_name,
        "vllm_command": describe(build_command(config)),
        "vllm_healthy": asyncio.run(_probe_vllm(config)),
        "gpus": [{"index": g.index, "name": g.name, "total_gib": round(g.total_gib, 1),
                  "used_gib": round(g.used_bytes / 2**30, 1)} for g in gpus or []],
        "embedded_gguf": gguf,
        "gemini": "configured" if settings.gemini_api_key is not None else "no key",
        "xai": "configured" if settings.xai_api_key is not None else "no key",
    }
    if gpus:
        try:
            out["fit"] = check_fit(find_model(settings.local_model_name), gpus[0].total_gib,
                                   utilization=settings.gpu_memory_utilization,
                                   max_model_len=settings.max_model_len).verdict
        except UnknownModel:
            out["fit"] = "model not in the registry"
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"backend order: {' -> '.join(out['order'])}")
    gpu_text = ", ".join(f"{g['name']} {g['total_gib']} GiB" for g in out["gpus"]) or "none (CPU only)"
    print(f"GPU: {gpu_text}")
    print(f"vLLM at {config.root_url}: {'healthy' if out['vllm_healthy'] else 'not running'}")
    print(f"vLLM command: {out['vllm_command']}")
    if "fit" in out:
        print(f"fit: {out['fit']}")
    print(f"Gemini: {out['gemini']}; xAI: {out['xai']}; embedded model: {'present' if gguf else 'MISSING'}")
    return 0


def quiet_libraries(verbose: bool) -> None:
    """Unless -v: no download/loading progress bars and no library warnings (torch, transformers) on stderr."""
    if verbose:
        return
    import os
    import warnings

    for name, value in (("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                        ("TQDM_DISABLE", "1"), ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")):
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", module=r"(torch|transformers|huggingface_hub|accelerate)(\.|$)")
    warnings.filterwarnings("ignore", category=UserWarning)


def _ask(args: argparse.Namespace) -> int:
    quiet_libraries(getattr(args, "verbose", False))
    from inference.errors import BackendNotConfigured
    from inference.factory import build_backend, inference_plan
    from inference.router import Router

    plan = inference_plan(_settings())
    backends = {name: config for name, config in plan.backends if args.backend in (None, name)}
    if not backends:
        raise BackendNotConfigured(args.backend, plan.names)
    schema = json.loads(args.schema.read_text(encoding="utf-8")) if args.schema else None

    async def run() -> Any:
        router = Router({name: build_backend(name, config) for name, config in backends.items()}, plan.router)
        try:
            return await router.generate([{"role": "user", "content": " ".join(args.message)}], schema,
                                         args.max_tokens, args.temperature)
        finally:
            await router.close()

    generation = asyncio.run(run())
    if args.json:
        print(json.dumps({"text": generation.text, "data": generation.data, "backend": generation.backend,
                          "prompt_tokens": generation.prompt_tokens, "completion_tokens": generation.completion_tokens,
                          "latency_s": round(generation.latency_s, 3), "ttft_s": round(generation.ttft_s, 3),
                          "fallbacks": generation.fallbacks}))
    else:
        print(generation.text)
        print(f"-- {generation.backend}: {generation.completion_tokens} tokens in {generation.latency_s:.2f} s "
              f"(ttft {generation.ttft_s * 1000:.0f} ms)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from inference.errors import VllmNotInstalled
    from inference.factory import server_config
    from inference.vllm_server import VLLMServerManager, describe

    config = server_config(_settings())
    manager = VLLMServerManager(config)
    if args.dry_run:
        print(json.dumps({"command": manager.command}) if args.json else describe(manager.command))
        return 0
    if shutil.which(config.executable[0]) is None:
        raise VllmNotInstalled()

    async def run() -> None:
        from gateway.observability import start_monitoring

        start_monitoring(_settings(), vllm=True)  # GPU, host and vLLM's own figures on METRICS_PORT
        await manager.start()
        print(f"vLLM healthy at {config.root_url} (Ctrl-C stops it)")
        try:
            while manager.state != "failed":
                await asyncio.sleep(1)
        finally:
            await manager.stop()

    asyncio.run(run())
    return 0


def _setup(args: argparse.Namespace) -> int:
    from inference.download import download_hf, download_meta, validate_meta_url, write_env
    from inference.factory import secret, server_config
    from inference.fit import check_fit, recommend
    from inference.registry import find_model
    from inference.vllm_server import build_command, describe

    settings = _settings()
    spec = find_model(args.model or settings.local_model_name)
    vram = _vram_gib(args.vram_gib)
    summary: dict[str, Any] = {"requested": spec.name, "vram_gib": vram}
    if vram is not None:
        report, choice = recommend(spec, vram, utilization=settings.gpu_memory_utilization,
                                   max_model_len=settings.max_model_len)
        summary |= {"fit": report.verdict, "recommendation": choice.name if choice else None}
        if choice and args.accept_recommendation:
            spec = choice
        elif choice and not report.fits:
            summary["warning"] = f"{spec.name} will not start on this card; rerun with --accept-recommendation"
        fit = check_fit(spec, vram, utilization=settings.gpu_memory_utilization,
                        max_model_len=settings.max_model_len)
        max_num_seqs = max(1, fit.max_num_seqs)
    else:
        summary["fit"] = "no GPU found: fit not checked (the embedded CPU model will answer)"
        max_num_seqs = settings.max_num_seqs
    dest = args.dest or settings.data_dir / "models" / spec.name.replace("/", "--")
    if not args.no_download:
        if args.source == "meta":
            url = validate_meta_url(args.meta_url or input("Paste the download URL from Meta's email: "))
            native = download_meta(url, args.meta_model_dir, dest.with_name(dest.name + "-native"))
            from inference.download import convert_command, run_conversion

            run_conversion(convert_command(native, dest, script=args.convert_script))
        else:
            download_hf(spec.name, dest, token=secret(settings.hf_token) or None)
    # QUANTIZATION is cleared: a registry checkpoint carries its own quantization config (vLLM detects it),
    # and a flag left from another model (e.g. awq) would make vLLM refuse this one.
    updates = {"LOCAL_MODEL_NAME": spec.name, "LOCAL_MODEL_PATH": str(dest), "MAX_NUM_SEQS": str(max_num_seqs),
               "GPU_MEMORY_UTILIZATION": f"{settings.gpu_memory_utilization:g}",
               "MAX_MODEL_LEN": str(settings.max_model_len), "QUANTIZATION": ""}
    write_env(args.env_file, updates)
    summary |= {"model": spec.name, "path": str(dest), "env_file": str(args.env_file), "written": updates}
    final = server_config(settings, model=str(dest), served_model_name=spec.name, max_num_seqs=max_num_seqs,
                          quantization=None)
    summary["command"] = describe(build_command(final))
    if args.json:
        print(json.dumps(summary))
    else:
        for key in ("fit", "recommendation", "warning", "model", "path", "command"):
            if summary.get(key):
                print(f"{key}: {summary[key]}")
        print(f"wrote {', '.join(updates)} to {args.env_file}")
    return 0
