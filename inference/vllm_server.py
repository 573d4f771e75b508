"""Build, start, supervise and stop `vllm serve` as a child process.

`build_command` turns a `VLLMServerConfig` into the exact argv; `VLLMServerManager` starts it,
streams its output into our log, waits for `GET /health` = 200, restarts it with backoff when
it dies, stops it cleanly (SIGTERM to its process group, SIGKILL after a grace period) and
switches models (stop → start with the new one: two vLLM servers cannot share one card, since
each pre-allocates `gpu_memory_utilization` of it; a model that fails to start is rolled back to the
one that worked). The child's pid file (`inference.vllm_pidfile`) lets the next owner of the port reap
a server whose owner was killed before it could stop it. `sleep()` / `wake_up()` call vLLM's sleep-mode
endpoints when the server runs with `--enable-sleep-mode` (frees the GPU without a restart).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import os
import shlex
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from inference import vllm_pidfile
from inference.errors import BackendUnavailable

__all__ = ["VLLMServerConfig", "VLLMServerManager", "build_command", "describe"]

log = logging.getLogger(__name__)
child_log = logging.getLogger(__name__ + ".child")

_MAX_LOG_LINE = 4000  # characters of one child log line we keep/log
_READ_LIMIT = 1 << 20  # bytes of one line the reader buffers (vLLM's config dumps are long single lines)


@dataclass(frozen=True, slots=True)
class VLLMServerConfig:
    """Everything `vllm serve` needs. `model` is a local path or a Hugging Face repo id.

    served_model_name: the name clients send (default: `model`). max_num_seqs: always explicit
    (vLLM V1 would profile with up to 1024 sequences and run small cards out of memory).
    executable: the argv prefix before "serve" (tests point it at a stand-in script).
    restart_backoff_s: waits before successive restarts; the last one repeats.
    max_restarts: give up after this many restarts in a row (None: never).
    stable_after_s: a server healthy this long resets the restart counter.
    pid_file: where the child's pid is kept for the next owner (default: per host and port in the temp dir).
    """

    model: str = "meta-llama/Llama-3.1-8B-Instruct"
    served_model_name: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    gpu_memory_utilization: float = 0.9
    max_model_len: int = 4096
    tensor_parallel_size: int = 1
    max_num_seqs: int = 16
    quantization: str | None = None
    kv_cache_dtype: str = "auto"
    enable_prefix_caching: bool = True
    enable_sleep_mode: bool = False
    extra_args: tuple[str, ...] = ()
    executable: tuple[str, ...] = ("vllm",)
    env: tuple[tuple[str, str], ...] = ()
    health_timeout_s: float = 900.0
    stop_grace_s: float = 30.0
    restart_backoff_s: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)
    max_restarts: int | None = None
    stable_after_s: float = 120.0
    pid_file: str | None = None

    def __repr__(self) -> str:  # env values may be secrets (HF_TOKEN): show the names only
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__dataclass_fields__ if f != "env")
        return f"VLLMServerConfig({fields}, env=<{', '.join(name for name, _ in self.env)}>)"

    @property
    def served_name(self) -> str:
        return self.served_model_name or self.model

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_path(self) -> str:
        return self.pid_file or vllm_pidfile.default_pid_file(self.host, self.port)


def build_command(config: VLLMServerConfig) -> list[str]:
    """The argv for `vllm serve` (no shell involved)."""
    argv = [*config.executable, "serve", config.model,
            "--host", config.host, "--port", str(config.port),
            "--served-model-name", config.served_name,
            "--gpu-memory-utilization", f"{config.gpu_memory_utilization:g}",
            "--max-model-len", str(config.max_model_len),
            "--max-num-seqs", str(config.max_num_seqs),
            "--tensor-parallel-size", str(config.tensor_parallel_size)]
    if config.quantization:
        argv += ["--quantization", config.quantization]
    if config.kv_cache_dtype != "auto":
        argv += ["--kv-cache-dtype", config.kv_cache_dtype]
    if config.enable_prefix_caching:
        argv.append("--enable-prefix-caching")
    if config.enable_sleep_mode:
        argv.append("--enable-sleep-mode")
    argv += list(config.extra_args)
    return argv


@dataclass
class _Status:
    state: str = "stopped"  # stopped | starting | healthy | restarting | failed
    pid: int | None = None
    restarts: int = 0
    consecutive_restarts: int = 0
    healthy_since: float | None = None
    last_exit_code: int | None = None
    log_tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))


class VLLMServerManager:
    """Owns one `vllm serve` child process. All methods are coroutines on one event loop."""

    def __init__(self, config: VLLMServerConfig) -> None:
        self.config = config
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._status = _Status()
        self._lock = asyncio.Lock()
        self._stopping = False
        self._restarting = False  # the supervisor is restarting a dead server (its failures are not final)

    @property
    def command(self) -> list[str]:
        return build_command(self.config)

    @property
    def state(self) -> str:
        return self._status.state

    @property
    def pid(self) -> int | None:
        return self._status.pid

    @property
    def restarts(self) -> int:
        return self._status.restarts

    @property
    def pid_file(self) -> str:
        return self.config.pid_path

    def status(self) -> dict[str, object]:
        """JSON-ready state for `lorekeeper llm status` / `!model_status`."""
        return {"state": self._status.state, "pid": self._status.pid, "model": self.config.model,
                "served_model_name": self.config.served_name, "url": self.config.root_url,
                "restarts": self._status.restarts, "last_exit_code": self._status.last_exit_code,
                "command": shlex.join(self.command), "log_tail": list(self._status.log_tail)[-20:]}

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the server and wait until `/health` answers 200.

        Raises:
            BackendUnavailable: the process exited or stayed unhealthy for `health_timeout_s`.
        """
        async with self._lock:
            if self._process is not None and self._process.returncode is None:
                return  # already running (or restarting under the supervisor)
            self._stopping = False
            await self._spawn_and_wait()
            self._supervisor = asyncio.create_task(self._supervise(), name="vllm-supervisor")

    async def stop(self) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL after `stop_grace_s`."""
        async with self._lock:
            self._stopping = True
            if self._supervisor is not None:
                self._supervisor.cancel()
                await asyncio.gather(self._supervisor, return_exceptions=True)
                self._supervisor = None
            await self._terminate()
            self._status.state = "stopped"

    async def switch_model(self, model: str, *, served_model_name: str | None = None, **changes: object) -> None:
        """Serve another model (and optionally other settings): stop → start with the new config."""
        new = dataclasses.replace(self.config, model=model, served_model_name=served_model_name, **changes)
        if new == self.config and self._status.state == "healthy":
            return
        old, was_healthy = self.config, self._status.state == "healthy"
        log.info("switching vLLM model %s -> %s", old.model, model)
        await self.stop()
        self.config = new
        try:
            await self.start()
        except BackendUnavailable as err:
            if not was_healthy:
                raise
            await self._roll_back(old, model, err)

    async def _roll_back(self, old: VLLMServerConfig, model: str, err: BackendUnavailable) -> None:
        """The new model did not start: serve the one that worked again, then report the failed switch."""
        log.error("vLLM could not start %s (%s); rolling back to %s", model, err.detail, old.model)
        await self.stop()
        self.config = old
        try:
            await self.start()
        except BackendUnavailable as again:
            raise BackendUnavailable(f"switching to {model} failed ({err.detail}) and {old.model} did not come "
                                     f"back ({again.detail})", backend="vllm") from None
        raise BackendUnavailable(f"switching to {model} failed ({err.detail}); still serving {old.model}",
                                 backend="vllm") from None

    async def sleep(self, level: int = 1) -> bool:
        """Ask vLLM to free GPU memory (needs `enable_sleep_mode`); False when unsupported."""
        return self.config.enable_sleep_mode and await self._post(f"/sleep?level={level}")

    async def wake_up(self) -> bool:
        return self.config.enable_sleep_mode and await self._post("/wake_up")

    async def health(self) -> bool:
        """One `/health` probe (2 s budget)."""
        try:
            timeout = aiohttp.ClientTimeout(total=2.0)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(f"{self.config.root_url}/health") as response:
                    return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False

    # -- internals ------------------------------------------------------------------------------

    async def _post(self, path: str) -> bool:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60.0)) as session:
                async with session.post(f"{self.config.root_url}{path}") as response:
                    return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False

    async def _spawn_and_wait(self) -> None:
        argv = self.command
        self._status.state = "starting"
        self._status.healthy_since = None  # a server that dies before it is healthy was never stable
        orphan = await asyncio.to_thread(vllm_pidfile.reap_orphan, self.config.pid_path, self.config.stop_grace_s)
        if orphan is not None:
            log.warning("stopped vLLM pid %d left running by a previous owner of port %d", orphan, self.config.port)
        if await self._port_in_use():
            # A leftover server (a crashed owner's child) would answer our /health checks for a child that
            # cannot bind: we would report it healthy and then restart it forever.
            self._status.state = "failed"
            raise BackendUnavailable(f"port {self.config.port} on {self.config.host} is already in use "
                                     "(a vLLM server left running?)", backend="vllm")
        log.info("starting vLLM: %s", shlex.join(argv))
        env = dict(os.environ) | self._child_env()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
                start_new_session=True, limit=_READ_LIMIT)
        except OSError as exc:  # not installed, not executable: the supervisor only handles BackendUnavailable
            self._status.state = "failed"
            raise BackendUnavailable(f"vLLM cannot start: {type(exc).__name__} running {argv[0]}",
                                     backend="vllm") from None
        self._status.pid = self._process.pid
        vllm_pidfile.record(self.config.pid_path, self._process.pid, argv)
        self._pump = asyncio.create_task(self._pump_log(self._process), name="vllm-log")
        try:
            await self._wait_healthy(self._process)
        except asyncio.CancelledError:
            # The caller gave up (or stop() cancelled a restart): never leave the child running unsupervised.
            await self._terminate()
            self._status.state = "stopped"
            raise

    async def _port_in_use(self) -> bool:
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "") else self.config.host
        try:
            async with asyncio.timeout(1.0):
                _, writer = await asyncio.open_connection(host, self.config.port)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True

    def _child_env(self) -> dict[str, str]:
        env = dict(self.config.env)
        if self.config.enable_sleep_mode:
            env.setdefault("VLLM_SERVER_DEV_MODE", "1")  # vLLM only mounts /sleep and /wake_up in dev mode
        return env

    async def _wait_healthy(self, process: asyncio.subprocess.Process) -> None:
        deadline = time.monotonic() + self.config.health_timeout_s
        while time.monotonic() < deadline:
            if process.returncode is not None:
                await self._reap_group(process)
                self._status.last_exit_code = process.returncode
                # a failed restart is the supervisor's to judge (it retries or gives up): no transient "failed"
                self._status.state = "restarting" if self._restarting else "failed"
                tail = " | ".join(list(self._status.log_tail)[-5:])
                raise BackendUnavailable(f"vLLM exited with code {process.returncode} while starting: {tail}",
                                         backend="vllm")
            if await self.health():
                self._status.state = "healthy"
                self._status.healthy_since = time.monotonic()
                log.info("vLLM healthy at %s (pid %d)", self.config.root_url, process.pid)
                return
            await asyncio.sleep(0.25)
        await self._terminate()
        self._status.state = "failed"
        raise BackendUnavailable(f"vLLM not healthy after {self.config.health_timeout_s:.0f}s", backend="vllm")

    async def _pump_log(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            try:
                raw = await process.stdout.readline()
            except ValueError:  # a line over the reader's limit: its start is dropped, keep draining the pipe
                raw = b"[vLLM log line too long; start dropped]"
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip()[:_MAX_LOG_LINE]
            self._status.log_tail.append(line)
            child_log.info("%s", line)

    async def _supervise(self) -> None:
        """Wait for the child to die; restart it with backoff unless we are stopping."""
        while not self._stopping:
            process = self._process
            assert process is not None
            code = await _exit_code(process)
            await self._reap_group(process)
            if self._stopping:
                return
            self._status.last_exit_code = code
            healthy_for = time.monotonic() - (self._status.healthy_since or time.monotonic())
            if healthy_for >= self.config.stable_after_s:
                self._status.consecutive_restarts = 0
            if self.config.max_restarts is not None and self._status.consecutive_restarts >= self.config.max_restarts:
                self._status.state = "failed"
                log.error("vLLM died (exit %s) and exceeded %d restarts; giving up", code, self.config.max_restarts)
                return
            backoff = self.config.restart_backoff_s
            delay = backoff[min(self._status.consecutive_restarts, len(backoff) - 1)] if backoff else 0.0
            self._status.state = "restarting"
            log.warning("vLLM died (exit %s); restarting in %.1f s", code, delay)
            await asyncio.sleep(delay)
            self._status.consecutive_restarts += 1
            self._status.restarts += 1
            self._restarting = True
            try:
                await self._spawn_and_wait()
            except BackendUnavailable as err:
                log.error("vLLM restart failed: %s", err.detail)
                if self._process is None or self._process.returncode is None:
                    self._status.state = "failed"
                    return
            finally:
                self._restarting = False

    async def _terminate(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            if process is not None:
                await self._reap_group(process)
            return
        self._signal(process, signal.SIGTERM)
        try:
            await asyncio.wait_for(_exit_code(process), self.config.stop_grace_s)
        except TimeoutError:
            log.warning("vLLM ignored SIGTERM for %.0f s; killing it", self.config.stop_grace_s)
            self._signal(process, signal.SIGKILL)
            await process.wait()
        await self._reap_group(process)
        self._status.last_exit_code = process.returncode
        self._status.pid = None
        log.info("vLLM stopped (exit %s)", process.returncode)

    async def _reap_group(self, process: asyncio.subprocess.Process) -> None:
        """After the main process exited: SIGKILL what is left of its process group (vLLM's engine-core
        workers, which would keep holding GPU memory and the log pipe), then finish reading the log."""
        self._signal(process, signal.SIGKILL)
        vllm_pidfile.forget(self.config.pid_path, process.pid)
        if self._pump is not None:
            done, _ = await asyncio.wait({self._pump}, timeout=2.0)
            if not done:  # something outside the group still holds the pipe
                self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)

    @staticmethod
    def _signal(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
        try:
            os.killpg(process.pid, sig)  # the whole group: vLLM spawns engine-core workers
        except ProcessLookupError:
            pass
        except PermissionError:
            process.send_signal(sig)


async def _exit_code(process: asyncio.subprocess.Process, poll_s: float = 0.1) -> int:
    """The main process's exit code as soon as it ends. (`Process.wait()` also waits for its pipes to
    close, which an orphaned engine-core worker still holding stdout would delay forever.)"""
    while process.returncode is None:
        await asyncio.sleep(poll_s)
    return process.returncode


def describe(argv: Sequence[str]) -> str:
    """The argv as one copy-pasteable shell line."""
    return shlex.join(argv)
