"""The router over the real clients and stand-in servers, and the InferenceRouter Ray actor."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inference_standins import GeminiStandIn, OpenAIStandIn  # noqa: E402

from inference.errors import AllBackendsFailed  # noqa: E402
from inference.gemini_backend import GeminiBackend, GeminiConfig  # noqa: E402
from inference.router import Router, RouterConfig  # noqa: E402
from inference.scripted import ScriptedBackend  # noqa: E402
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig  # noqa: E402
from inference.xai_backend import XAIBackend, XAIConfig  # noqa: E402

SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"]}
MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I open the door."}]
EMBEDDED_REPLY = {"narrative": "(embedded) The door opens.", "rolls": [], "effects": []}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def servers():
    local, gemini, xai = OpenAIStandIn(), GeminiStandIn(), OpenAIStandIn()
    local.reply = {"narrative": "local", "rolls": [], "effects": []}
    gemini.reply = {"narrative": "gemini", "rolls": [], "effects": []}
    xai.reply = {"narrative": "xai", "rolls": [], "effects": []}
    for server in (local, gemini, xai):
        await server.start()
    yield local, gemini, xai
    for server in (local, gemini, xai):
        await server.stop()


def build(servers, clock: Clock | None = None, **policy) -> tuple[Router, ScriptedBackend]:
    local, gemini, xai = servers
    embedded = ScriptedBackend([EMBEDDED_REPLY], name="embedded")
    backends = {
        "vllm": VLLMBackend(VLLMBackendConfig(port=local.port, served_model="llama", timeout_s=5)),
        "gemini": GeminiBackend(GeminiConfig(api_key="g", base_url=f"http://127.0.0.1:{gemini.port}", timeout_s=5)),
        "xai": XAIBackend(XAIConfig(api_key="x", base_url=f"http://127.0.0.1:{xai.port}/v1", timeout_s=5)),
        "embedded": embedded,
    }
    config = RouterConfig(**({"retry_jitter_s": 0.01, "attempt_timeout_s": 0.5, "failure_threshold": 2,
                              "reset_timeout_s": 30} | policy))
    return Router(backends, config, clock=clock or Clock()), embedded


async def test_a_stalled_local_server_falls_back_to_gemini_within_the_timeout(servers) -> None:
    local, gemini, xai = servers
    local.mode = "stall"
    router, _ = build(servers)
    generation = await asyncio.wait_for(router.generate(MESSAGES, SCHEMA), 3)
    assert generation.backend == "gemini" and generation.data["narrative"] == "gemini"
    assert generation.fallbacks == (("vllm", "timeout"),)
    assert (len(local.requests), len(gemini.requests), len(xai.requests)) == (1, 1, 0)
    await router.close()


async def test_429_then_500_walks_the_whole_order(servers) -> None:
    local, gemini, xai = servers
    local.mode, gemini.mode = "429", "500"
    router, _ = build(servers)
    generation = await router.generate(MESSAGES, SCHEMA, stream=True)
    assert generation.backend == "xai"
    assert generation.fallbacks == (("vllm", "overloaded"), ("gemini", "unavailable"))
    await router.close()


async def test_everything_dead_reaches_the_embedded_model(servers) -> None:
    for server in servers:
        await server.stop()
    router, embedded = build(servers)
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "embedded" and generation.data == EMBEDDED_REPLY
    assert [name for name, _ in generation.fallbacks] == ["vllm", "gemini", "xai"]
    assert len(embedded.requests) == 1
    await router.close()


async def test_no_request_is_lost_or_duplicated_and_local_returns_after_recovery(servers) -> None:
    local, gemini, xai = servers
    clock = Clock()
    router, _ = build(servers, clock=clock)
    local.mode = "500"
    answers = [await router.generate(MESSAGES, SCHEMA, request_id=f"msg-{i}") for i in range(4)]
    assert [a.backend for a in answers] == ["gemini"] * 4
    assert len(local.requests) == 2  # breaker opened after 2 failures: later requests skip it
    assert len(gemini.requests) == 4  # each message answered exactly once
    replay = await router.generate(MESSAGES, SCHEMA, request_id="msg-3")
    assert replay == answers[3] and len(gemini.requests) == 4
    local.mode = "ok"
    clock.now += 31
    back = await router.generate(MESSAGES, SCHEMA, request_id="msg-4")
    assert back.backend == "vllm" and back.data["narrative"] == "local"
    assert router.status()["backends"]["vllm"]["breaker"] == "closed"
    await router.close()


async def test_when_all_fail_the_player_gets_an_apology_and_a_retry_works(servers) -> None:
    local, gemini, xai = servers
    for server in servers:
        server.mode = "503"
    router, _ = build(servers, failure_threshold=5)
    del router.backends["embedded"]
    router.order = ("vllm", "gemini", "xai")
    with pytest.raises(AllBackendsFailed) as caught:
        await router.generate(MESSAGES, SCHEMA, request_id="msg-9")
    assert "retried" in caught.value.user_message
    assert set(caught.value.failures) == {"vllm", "gemini", "xai"}
    local.mode = "ok"
    generation = await router.generate(MESSAGES, SCHEMA, request_id="msg-9")
    assert generation.backend == "vllm"
    await router.close()


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray (one CPU, no dashboard) for this module; left running if someone else started it."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    if started_here:
        ray.shutdown()


async def test_router_actor_over_ray(servers, ray_cluster) -> None:
    ray = ray_cluster
    from actors.inference import GeminiActor, InferenceRouter
    from inference.factory import InferencePlan

    local, gemini, _ = servers
    plan = InferencePlan(
        backends=(("vllm", VLLMBackendConfig(port=local.port, served_model="llama", timeout_s=5)),
                  ("embedded", [EMBEDDED_REPLY])),
        router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=2.0, failure_threshold=1))
    actor = InferenceRouter.remote(plan)
    first = await actor.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-1")
    assert first.backend == "vllm" and first.data["narrative"] == "local"
    local.mode = "500"
    second = await actor.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-2")
    assert second.backend == "embedded" and second.fallbacks == (("vllm", "unavailable"),)
    await actor.force_api.remote(60)
    status = await actor.status.remote()
    assert status["backends"]["vllm"]["breaker"] == "open" and status["forced_api_remaining_s"] > 0
    assert len(local.requests) == 2
    ray.kill(actor)

    # Every backend failing inside the actor reaches the caller as AllBackendsFailed, with its reasons
    # (the error is pickled across the actor boundary).
    lone = InferenceRouter.remote(InferencePlan(backends=(("vllm", VLLMBackendConfig(port=local.port,
                                                                                   served_model="llama")),),
                                                router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=2.0)), None, 0)
    with pytest.raises(AllBackendsFailed) as caught:
        await lone.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-lone")
    assert {name: err.reason for name, err in caught.value.failures.items()} == {"vllm": "unavailable"}
    assert "your message is kept" in caught.value.user_message
    ray.kill(lone)

    # A backend in its own actor: errors raised there come back as our InferenceError types.
    gemini.mode = "500"
    gemini_actor = GeminiActor.remote(GeminiConfig(api_key="g", base_url=f"http://127.0.0.1:{gemini.port}",
                                                   timeout_s=5))
    plan2 = InferencePlan(backends=(("gemini", GeminiConfig(api_key="g")), ("embedded", [EMBEDDED_REPLY])),
                          router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=5.0))
    actor2 = InferenceRouter.remote(plan2, {"gemini": gemini_actor}, 0)
    third = await actor2.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-3")
    assert third.backend == "embedded" and third.fallbacks == (("gemini", "unavailable"),)
    gemini.mode = "ok"
    fourth = await actor2.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-4")
    assert fourth.backend == "gemini" and fourth.data["narrative"] == "gemini"
    assert len(gemini.requests) == 2
    ray.kill(actor2)
    ray.kill(gemini_actor)


async def test_vllm_actor_owns_the_server_and_switches_registry_models(ray_cluster) -> None:
    """VLLMActor with its GPU requirement lifted (`num_gpus=0`) supervising the stand-in `vllm serve`."""
    import socket

    from actors.inference import VLLMActor
    from inference.registry import UnknownModel
    from inference.vllm_server import VLLMServerConfig

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = str(Path(__file__).resolve().parent / "fake_vllm_server.py")
    awq = "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"
    server = VLLMServerConfig(model=awq, port=port, executable=(sys.executable, fake), quantization="awq",
                              health_timeout_s=30, stop_grace_s=5)
    client = VLLMBackendConfig(port=port, served_model=awq, timeout_s=10)
    actor = VLLMActor.options(num_gpus=0).remote(server, client)
    try:
        started = await actor.start.remote()
        assert started["state"] == "healthy"
        first = await actor.generate.remote(MESSAGES, SCHEMA, 64, 0.2, False)
        assert first.data["narrative"] == f"served by {awq}"
        assert "--quantization awq" in started["command"]
        switched = await actor.switch_model.remote("llama-3.2-1b")
        assert switched["served_model_name"] == "meta-llama/Llama-3.2-1B-Instruct" and switched["pid"] != started["pid"]
        # the AWQ flag belonged to the old checkpoint: vLLM would refuse to load a bf16 model with it
        assert "--quantization" not in switched["command"]
        second = await actor.generate.remote(MESSAGES, SCHEMA, 64, 0.2, False)
        assert second.data["narrative"] == "served by meta-llama/Llama-3.2-1B-Instruct"
        status = await actor.status.remote()
        assert status["registry"]["alias"] == "llama-3.2-1b"
        with pytest.raises(UnknownModel):
            await actor.switch_model.remote("gpt-17")
    finally:
        await actor.stop.remote()
        ray_cluster.kill(actor)


async def test_a_router_timeout_cancels_the_call_inside_a_backend_actor(servers, ray_cluster) -> None:
    """The router gives up on a stalled backend actor: the actor's request must end too, not run on to
    its own (longer) timeout holding a connection — or, for the embedded model, the decode lock."""
    from actors.inference import GeminiActor, InferenceRouter
    from inference.factory import InferencePlan

    _, gemini, _ = servers
    gemini.mode = "stall"
    gemini_actor = GeminiActor.remote(GeminiConfig(api_key="g", base_url=f"http://127.0.0.1:{gemini.port}",
                                                   timeout_s=60))
    plan = InferencePlan(backends=(("gemini", GeminiConfig(api_key="g")), ("embedded", [EMBEDDED_REPLY])),
                         router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=1.0))
    router = InferenceRouter.remote(plan, {"gemini": gemini_actor}, 0)
    try:
        answer = await router.generate.remote(MESSAGES, SCHEMA, 128, 0.2, False, "ray-stall")
        assert answer.backend == "embedded" and answer.fallbacks == (("gemini", "timeout"),)
        async with asyncio.timeout(10):
            while gemini.abandoned < 1:
                await asyncio.sleep(0.05)
    finally:
        ray_cluster.kill(router)
        ray_cluster.kill(gemini_actor)


async def test_router_actor_health_and_status_calls_do_not_break_turns(servers, ray_cluster) -> None:
    """`check_health` / `status` (owner commands, the health loop) and `generate` share the backends' HTTP
    clients, so they must run on the actor's one event loop: a client first used on another loop
    fails every later call with 'bound to a different event loop'."""
    from actors.inference import InferenceRouter
    from inference.factory import InferencePlan

    _, _, xai = servers
    plan = InferencePlan(
        backends=(("xai", XAIConfig(api_key="x", base_url=f"http://127.0.0.1:{xai.port}/v1", timeout_s=5)),
                  ("embedded", [EMBEDDED_REPLY])),
        router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=5.0))
    router = InferenceRouter.remote(plan, None, 0)
    try:
        for n in range(2):
            assert await router.check_health.remote() == {"xai": True, "embedded": True}
            await router.status.remote()
            answer = await router.generate.remote(MESSAGES, SCHEMA, 64, 0.2, False, f"loops-{n}")
            assert answer.backend == "xai" and answer.fallbacks == ()
    finally:
        ray_cluster.kill(router)
