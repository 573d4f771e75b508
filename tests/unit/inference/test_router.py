"""The plain Router over scripted backends: order, fallbacks, breakers, forced API, dedupe."""

from __future__ import annotations

import asyncio

import pytest

from inference.errors import AllBackendsFailed, PromptTooLong
from inference.router import Router, RouterConfig
from inference.scripted import ScriptedBackend
from monitoring import metrics

SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"]}
MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I open the door."}]
FAST = dict(retry_jitter_s=0.0, attempt_timeout_s=1.0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reply(text: str) -> dict:
    return {"reply": {"narrative": text}}


async def test_first_healthy_backend_answers_in_order() -> None:
    local = ScriptedBackend([reply("local")], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"gemini": api, "vllm": local}, RouterConfig(**FAST))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "vllm" and generation.data == {"narrative": "local"}
    assert generation.fallbacks == ()
    assert api.requests == []


async def test_failure_falls_back_and_records_the_reason() -> None:
    before = metrics.sample("lorekeeper_llm_fallbacks_total", backend="vllm", reason="unavailable")
    local = ScriptedBackend([{"error": "unavailable"}], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": local, "gemini": api}, RouterConfig(**FAST))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "gemini"
    assert generation.fallbacks == (("vllm", "unavailable"),)
    assert metrics.sample("lorekeeper_llm_fallbacks_total", backend="vllm", reason="unavailable") == before + 1


async def test_bad_json_counts_as_a_failure_and_moves_on() -> None:
    local = ScriptedBackend([{"text": "I am not JSON"}], name="vllm")
    api = ScriptedBackend([reply("api")], name="xai")
    router = Router({"vllm": local, "xai": api}, RouterConfig(**FAST))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.fallbacks == (("vllm", "bad_reply"),)
    assert router.breakers["vllm"].failures == 1


async def test_slow_backend_is_abandoned_at_the_attempt_timeout() -> None:
    local = ScriptedBackend([{"delay_s": 30, "reply": {"narrative": "late"}}], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": local, "gemini": api}, RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=0.2))
    generation = await asyncio.wait_for(router.generate(MESSAGES, SCHEMA), 5)
    assert generation.backend == "gemini"
    assert generation.fallbacks == (("vllm", "timeout"),)


async def test_open_breaker_skips_the_backend_until_the_probe() -> None:
    clock = Clock()
    local = ScriptedBackend([{"error": "unavailable"}] * 2 + [reply("local again")], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": local, "gemini": api},
                    RouterConfig(failure_threshold=2, reset_timeout_s=60, **FAST), clock=clock)
    for _ in range(2):
        await router.generate(MESSAGES, SCHEMA)
    assert router.breakers["vllm"].state == "open"
    skipped = await router.generate(MESSAGES, SCHEMA)
    assert skipped.fallbacks == (("vllm", "circuit_open"),)
    assert len(local.requests) == 2  # not called while open
    clock.now += 61
    back = await router.generate(MESSAGES, SCHEMA)
    assert back.backend == "vllm" and back.data == {"narrative": "local again"}
    assert router.breakers["vllm"].state == "closed"


async def test_forced_api_mode_skips_local_then_returns() -> None:
    clock = Clock()
    local = ScriptedBackend([reply("local")], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": local, "gemini": api}, RouterConfig(**FAST), clock=clock)
    router.force_api(600)
    forced = await router.generate(MESSAGES, SCHEMA)
    assert forced.backend == "gemini" and forced.fallbacks == (("vllm", "forced_api"),)
    clock.now += 601
    assert (await router.generate(MESSAGES, SCHEMA)).backend == "vllm"


async def test_all_failing_raises_an_in_world_apology_with_every_reason() -> None:
    router = Router({"vllm": ScriptedBackend([{"error": "timeout"}], name="vllm"),
                     "gemini": ScriptedBackend([{"error": "overloaded"}], name="gemini")}, RouterConfig(**FAST))
    with pytest.raises(AllBackendsFailed) as caught:
        await router.generate(MESSAGES, SCHEMA)
    assert {name: err.reason for name, err in caught.value.failures.items()} == {"vllm": "timeout",
                                                                                   "gemini": "overloaded"}
    assert "your message is kept" in caught.value.user_message


async def test_same_request_id_is_answered_once() -> None:
    local = ScriptedBackend([{"delay_s": 0.05, "reply": {"narrative": "one"}}, reply("two")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(**FAST))
    first, second = await asyncio.gather(router.generate(MESSAGES, SCHEMA, request_id="m1"),
                                         router.generate(MESSAGES, SCHEMA, request_id="m1"))
    third = await router.generate(MESSAGES, SCHEMA, request_id="m1")
    assert first.data == second.data == third.data == {"narrative": "one"}
    assert len(local.requests) == 1


async def test_failed_request_id_is_retried_not_replayed() -> None:
    local = ScriptedBackend([{"error": "unavailable"}, reply("recovered")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(failure_threshold=5, **FAST))
    with pytest.raises(AllBackendsFailed):
        await router.generate(MESSAGES, SCHEMA, request_id="m2")
    again = await router.generate(MESSAGES, SCHEMA, request_id="m2")
    assert again.data == {"narrative": "recovered"}


async def test_prompt_too_long_everywhere_is_reported_as_such() -> None:
    tiny = ScriptedBackend([reply("x")], name="vllm", context_window=64)
    router = Router({"vllm": tiny}, RouterConfig(**FAST))
    with pytest.raises(PromptTooLong):
        await router.generate([{"role": "user", "content": "word " * 200}], SCHEMA, max_tokens=16)
    assert router.breakers["vllm"].failures == 0


async def test_prompt_too_long_for_local_goes_to_a_bigger_window() -> None:
    tiny = ScriptedBackend([reply("x")], name="vllm", context_window=64)
    big = ScriptedBackend([reply("big")], name="gemini", context_window=100_000)
    router = Router({"vllm": tiny, "gemini": big}, RouterConfig(**FAST))
    generation = await router.generate([{"role": "user", "content": "word " * 200}], SCHEMA, max_tokens=16)
    assert generation.backend == "gemini" and generation.fallbacks == (("vllm", "prompt_too_long"),)


async def test_queue_depth_over_the_limit_counts_as_overload() -> None:
    class Busy(ScriptedBackend):
        async def queue_depth(self) -> int:
            return 99

    router = Router({"vllm": Busy([reply("x")], name="vllm"), "gemini": ScriptedBackend([reply("g")], name="gemini")},
                    RouterConfig(max_queue_depth=16, **FAST))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.fallbacks == (("vllm", "queue_depth"),)


async def test_health_check_half_opens_a_recovered_backend() -> None:
    local = ScriptedBackend([{"error": "unavailable"}, reply("ok")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(failure_threshold=1, reset_timeout_s=3600, **FAST))
    with pytest.raises(AllBackendsFailed):
        await router.generate(MESSAGES, SCHEMA)
    assert router.status()["backends"]["vllm"]["breaker"] == "open"
    assert await router.check_health() == {"vllm": True}
    assert router.status()["backends"]["vllm"]["breaker"] == "half_open"
    assert (await router.generate(MESSAGES, SCHEMA)).data == {"narrative": "ok"}


class SlowLoading(ScriptedBackend):
    loads = 0

    async def load(self) -> None:
        if not self.loads:
            await asyncio.sleep(0.3)
        self.loads += 1


async def test_a_model_load_is_not_counted_against_the_attempt_timeout() -> None:
    embedded = SlowLoading([reply("cpu")], name="embedded")
    router = Router({"embedded": embedded}, RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=0.1))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "embedded" and generation.fallbacks == ()
    assert router.breakers["embedded"].failures == 0


async def test_warm_up_loads_backends_that_have_a_model() -> None:
    embedded = SlowLoading([reply("cpu")], name="embedded")
    router = Router({"vllm": ScriptedBackend([reply("x")], name="vllm"), "embedded": embedded}, RouterConfig(**FAST))
    await router.warm_up()
    assert embedded.loads == 1


async def test_a_cancelled_half_open_probe_does_not_wedge_the_breaker() -> None:
    clock = Clock()
    local = ScriptedBackend([{"error": "unavailable"}, {"delay_s": 30, "reply": {"narrative": "late"}},
                             reply("back")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(failure_threshold=1, reset_timeout_s=60, **FAST), clock=clock)
    with pytest.raises(AllBackendsFailed):
        await router.generate(MESSAGES, SCHEMA)
    clock.now += 61
    probe = asyncio.ensure_future(router.generate(MESSAGES, SCHEMA))
    while len(local.requests) < 2:
        await asyncio.sleep(0.01)
    probe.cancel()  # the player's turn was abandoned mid-probe
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert router.status()["backends"]["vllm"]["in_flight"] == 0
    # the probe never reported: the next caller must be allowed to probe again
    assert (await router.generate(MESSAGES, SCHEMA)).data == {"narrative": "back"}
    assert router.breakers["vllm"].state == "closed"


async def test_a_cancelled_model_load_does_not_leak_an_in_flight_slot() -> None:
    class Loading(ScriptedBackend):
        async def load(self) -> None:
            await asyncio.sleep(30)

    router = Router({"embedded": Loading([reply("cpu")], name="embedded")}, RouterConfig(**FAST))
    call = asyncio.ensure_future(router.generate(MESSAGES, SCHEMA))
    await asyncio.sleep(0.05)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert router.status()["backends"]["embedded"]["in_flight"] == 0


async def test_an_untranslated_backend_error_falls_back_instead_of_escaping() -> None:
    class Broken(ScriptedBackend):
        async def generate(self, *args, **kwargs):
            raise KeyError("choices")  # a backend bug / an SDK error nobody translated

    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": Broken([reply("x")], name="vllm"), "gemini": api}, RouterConfig(**FAST))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "gemini" and generation.fallbacks == (("vllm", "unavailable"),)
    assert router.breakers["vllm"].failures == 1


async def test_a_malformed_request_is_rejected_once_not_charged_to_every_backend() -> None:
    local = ScriptedBackend([reply("x")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(**FAST))
    with pytest.raises(ValueError):
        await router.generate(MESSAGES, SCHEMA, max_tokens=0)
    assert router.breakers["vllm"].failures == 0 and local.requests == []


async def test_a_cancelled_caller_does_not_lose_or_repeat_its_request() -> None:
    local = ScriptedBackend([{"delay_s": 0.1, "reply": {"narrative": "once"}}, reply("twice")], name="vllm")
    router = Router({"vllm": local}, RouterConfig(**FAST))
    first = asyncio.ensure_future(router.generate(MESSAGES, SCHEMA, request_id="m-cancel"))
    await asyncio.sleep(0.02)
    first.cancel()  # e.g. the Discord handler was torn down mid-turn
    with pytest.raises(asyncio.CancelledError):
        await first
    retry = await router.generate(MESSAGES, SCHEMA, request_id="m-cancel")  # joins the running call
    assert retry.data == {"narrative": "once"} and len(local.requests) == 1
    assert (await router.generate(MESSAGES, SCHEMA, request_id="m-cancel")).data == {"narrative": "once"}
    assert len(local.requests) == 1


async def test_an_open_breaker_skips_without_probing_the_queue() -> None:
    """A hung vLLM still accepts connections: reading its /metrics costs seconds. With its breaker open the
    router must skip it without that read (and a half-open probe must not be consumed by a queue skip)."""

    class Hung(ScriptedBackend):
        queue_reads = 0

        async def queue_depth(self) -> int:
            self.queue_reads += 1
            return 0

    clock = Clock()
    local = Hung([{"error": "unavailable"}, reply("back")], name="vllm")
    router = Router({"vllm": local, "gemini": ScriptedBackend([reply("api")], name="gemini")},
                    RouterConfig(failure_threshold=1, reset_timeout_s=60, **FAST), clock=clock)
    await router.generate(MESSAGES, SCHEMA)
    reads = local.queue_reads
    skipped = await router.generate(MESSAGES, SCHEMA)
    assert skipped.fallbacks == (("vllm", "circuit_open"),) and local.queue_reads == reads
    clock.now += 61
    assert (await router.generate(MESSAGES, SCHEMA)).backend == "vllm"


async def test_a_queue_skip_in_half_open_does_not_use_up_the_probe() -> None:
    class Busy(ScriptedBackend):
        waiting = 99

        async def queue_depth(self) -> int:
            return self.waiting

    clock = Clock()
    local = Busy([{"error": "unavailable"}, reply("back")], name="vllm")
    router = Router({"vllm": local, "gemini": ScriptedBackend([reply("api")], name="gemini")},
                    RouterConfig(failure_threshold=1, reset_timeout_s=60, max_queue_depth=16, **FAST), clock=clock)
    local.waiting = 0
    await router.generate(MESSAGES, SCHEMA)  # fails: breaker opens
    clock.now += 61
    local.waiting = 99
    assert (await router.generate(MESSAGES, SCHEMA)).fallbacks == (("vllm", "queue_depth"),)
    local.waiting = 0
    back = await router.generate(MESSAGES, SCHEMA)  # the probe is still available
    assert back.backend == "vllm" and router.breakers["vllm"].state == "closed"


async def test_cancelling_an_older_request_does_not_free_someone_elses_probe() -> None:
    clock = Clock()
    local = ScriptedBackend([{"delay_s": 30, "reply": {"narrative": "a"}}, {"error": "unavailable"},
                             {"delay_s": 30, "reply": {"narrative": "probe"}}, reply("e")], name="vllm")
    api = ScriptedBackend([reply("api")], name="gemini")
    router = Router({"vllm": local, "gemini": api},
                    RouterConfig(failure_threshold=1, reset_timeout_s=60, **FAST), clock=clock)
    older = asyncio.ensure_future(router.generate(MESSAGES, SCHEMA))  # sent while the breaker was closed
    while len(local.requests) < 1:
        await asyncio.sleep(0.01)
    assert (await router.generate(MESSAGES, SCHEMA)).backend == "gemini"  # a failure opens the breaker
    clock.now += 61
    probe = asyncio.ensure_future(router.generate(MESSAGES, SCHEMA))  # the one half-open probe
    while len(local.requests) < 3:
        await asyncio.sleep(0.01)
    older.cancel()
    with pytest.raises(asyncio.CancelledError):
        await older
    meanwhile = await router.generate(MESSAGES, SCHEMA)  # the probe is still out: no second one
    assert meanwhile.backend == "gemini" and meanwhile.fallbacks == (("vllm", "circuit_open"),)
    assert len(local.requests) == 3
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
