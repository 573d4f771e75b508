"""A stand-in for `vllm serve`, run as a real child process by the server-manager tests.

Accepts the same argv (`serve MODEL --host H --port P --served-model-name N ...`), logs to
stdout like vLLM, serves `/health`, `/v1/models`, `/v1/chat/completions`, `/tokenize`, `/sleep`, `/wake_up`.
`/tokenize` counts one token per whitespace-separated word (a count chars / 4 would not give);
FAKE_VLLM_NO_TOKENIZE=1 makes it answer 404, like a server without the endpoint.
Environment knobs: FAKE_VLLM_STARTUP_DELAY (seconds before /health turns 200),
FAKE_VLLM_EXIT_CODE (exit at once with this code), FAKE_VLLM_IGNORE_TERM=1 (ignore SIGTERM),
FAKE_VLLM_FAIL_IF_EXISTS=PATH (exit with code 3 at start while PATH exists), FAKE_VLLM_WORKER=1 (spawn an
"engine core" grandchild in the same process group that ignores SIGTERM and logs "worker pid N").
FAKE_VLLM_LONG_LINE=N (log one N-character line first, like vLLM's config dumps).
FAKE_VLLM_BAD_MODEL=NAME (exit with code 1 at start when asked to serve NAME, like a model that does not fit).
FAKE_VLLM_CHAT_DELAY=S (log "chat request received", then take S seconds over each chat completion).
Like vLLM, `/sleep` and `/wake_up` exist only when VLLM_SERVER_DEV_MODE=1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("model")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--served-model-name", required=True)
    parser.add_argument("--max-num-seqs", type=int, required=True)
    parser.add_argument("--max-model-len", type=int, required=True)
    args, _ = parser.parse_known_args()
    print(f"INFO fake vllm serving {args.model} as {args.served_model_name} "
          f"(max_num_seqs={args.max_num_seqs}, max_model_len={args.max_model_len})", flush=True)
    if os.environ.get("FAKE_VLLM_LONG_LINE"):
        print("INFO config: " + "x" * int(os.environ["FAKE_VLLM_LONG_LINE"]), flush=True)
    if os.environ.get("FAKE_VLLM_EXIT_CODE"):
        print("ERROR ValueError: not enough KV cache memory for max_model_len", flush=True)
        sys.exit(int(os.environ["FAKE_VLLM_EXIT_CODE"]))
    if os.environ.get("FAKE_VLLM_BAD_MODEL") == args.model:
        print(f"ERROR ValueError: {args.model} does not fit in GPU memory", flush=True)
        sys.exit(1)
    if os.environ.get("FAKE_VLLM_FAIL_IF_EXISTS") and os.path.exists(os.environ["FAKE_VLLM_FAIL_IF_EXISTS"]):
        print("ERROR RuntimeError: CUDA out of memory", flush=True)
        sys.exit(3)
    if os.environ.get("FAKE_VLLM_WORKER") == "1":
        worker = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                                   "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"])
        print(f"INFO worker pid {worker.pid}", flush=True)
    dev_mode = os.environ.get("VLLM_SERVER_DEV_MODE") == "1"
    ready_at = time.monotonic() + float(os.environ.get("FAKE_VLLM_STARTUP_DELAY", "0"))
    state = {"sleeping": False}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *a: object) -> None:
            print("INFO http " + fmt % a, flush=True)

        def _json(self, code: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                self._json(200 if time.monotonic() >= ready_at else 503, {})
            elif self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": args.served_model_name, "object": "model"}]})
            else:
                self._json(404, {})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.startswith(("/sleep", "/wake_up")) and not dev_mode:
                self._json(404, {"detail": "Not Found"})
            elif self.path.startswith("/sleep"):
                state["sleeping"] = True
                self._json(200, {})
            elif self.path == "/wake_up":
                state["sleeping"] = False
                self._json(200, {})
            elif self.path == "/tokenize" and os.environ.get("FAKE_VLLM_NO_TOKENIZE") != "1":
                tokens = list(range(len(str(body.get("prompt", "")).split())))
                self._json(200, {"count": len(tokens), "max_model_len": args.max_model_len, "tokens": tokens})
            elif self.path == "/v1/chat/completions":
                if os.environ.get("FAKE_VLLM_CHAT_DELAY"):
                    print("INFO chat request received", flush=True)
                    time.sleep(float(os.environ["FAKE_VLLM_CHAT_DELAY"]))
                text = json.dumps({"narrative": f"served by {args.served_model_name}", "rolls": [], "rule_lookups": [],
                                   "effects": []})
                self._json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}],
                                 "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}})
            else:
                self._json(404, {})

    server = ThreadingHTTPServer((args.host, args.port), Handler)

    def on_term(signum: int, frame: object) -> None:
        if os.environ.get("FAKE_VLLM_IGNORE_TERM") == "1":
            print("WARNING ignoring SIGTERM", flush=True)
            return
        print("INFO shutting down", flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
