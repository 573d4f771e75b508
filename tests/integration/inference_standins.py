"""Stand-in HTTP servers on 127.0.0.1 for the inference backends' real client code.

`OpenAIStandIn` speaks the OpenAI chat-completions API (as vLLM and xAI do) plus vLLM's
`/health` and `/metrics`; `GeminiStandIn` speaks Gemini's `generateContent`. Each records the
request bodies it received and can be switched between behaviours at any time:
"ok", "stall" (never answers), "429", "500", "503", "bad_json", and for the OpenAI stand-in
"html" (a proxy's 200 HTML page), "broken_body" (200 with a body that is not JSON) and
"broken_sse" (a stream whose second event is not JSON); `stop()` makes it die
(connections refused). These are real aiohttp servers: the `openai` and `google-genai`
clients talk HTTP to them exactly as to the real services.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

__all__ = ["GeminiStandIn", "OpenAIStandIn", "DM_REPLY"]

DM_REPLY = {"narrative": "The door creaks open onto a smoky taproom.", "rolls": [], "effects": []}


class _StandIn:
    def __init__(self) -> None:
        self.mode = "ok"
        self.reply: dict[str, Any] = dict(DM_REPLY)
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.queue_waiting = 0
        self.metrics_body: bytes | None = None  # raw `/metrics` bytes instead of the gauges (e.g. bad UTF-8)
        self.abandoned = 0  # stalled requests whose client hung up
        self._runner: web.AppRunner | None = None
        self.port = 0

    def _app(self) -> web.Application:
        raise NotImplementedError

    async def start(self, port: int = 0) -> str:
        self._runner = web.AppRunner(self._app(), handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Die: close the listening socket and every open connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        """Record the request; return its body and, when the mode says so, the failure to send instead."""
        body = await request.json()
        self.requests.append(body)
        self.paths.append(request.path)
        self.headers.append(dict(request.headers))
        return body, await self._misbehave(request)

    def _text(self) -> str:
        """The reply's JSON text, or a broken one in `bad_json` mode."""
        return "{not json" if self.mode == "bad_json" else json.dumps(self.reply)

    async def _misbehave(self, request: web.Request) -> web.Response | None:
        if self.mode == "stall":
            # Never answer; notice when the client hangs up (aiohttp does not cancel the handler).
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)
            self.abandoned += 1
            return web.Response(status=499)
        if self.mode in ("429", "500", "503"):
            return web.json_response({"error": {"message": f"stand-in {self.mode}", "code": int(self.mode)}},
                                     status=int(self.mode))
        return None


class OpenAIStandIn(_StandIn):
    """OpenAI-compatible chat completions (+ vLLM `/health`, `/metrics`)."""

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._receive(request)
        if failure is not None:
            return failure
        if self.mode == "html":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if self.mode == "broken_body":
            return web.Response(text='{"id": "cmpl-1", "choi', content_type="application/json")
        text = self._text()
        usage = {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}
        if not body.get("stream"):
            return web.json_response({
                "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for i in range(0, len(text), 8):
            chunk = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": text[i:i + 8]}, "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if self.mode == "broken_sse":
                await response.write(b"data: {not json\n\n")
        final = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                 "choices": [], "usage": usage}
        await response.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response

    async def _models(self, request: web.Request) -> web.Response:
        if self.mode in ("500", "503"):
            return web.json_response({}, status=int(self.mode))
        return web.json_response({"object": "list", "data": [{"id": "stand-in", "object": "model", "created": 0,
                                                              "owned_by": "test"}]})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(status=200 if self.mode in ("ok", "bad_json", "429") else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        if self.metrics_body is not None:
            return web.Response(body=self.metrics_body, content_type="text/plain", charset="utf-8")
        return web.Response(text=(f'vllm:num_requests_waiting{{model_name="stand-in"}} {self.queue_waiting}.0\n'
                                  'vllm:num_requests_running{model_name="stand-in"} 1.0\n'))


class GeminiStandIn(_StandIn):
    """Gemini `models/{model}:generateContent` and `:streamGenerateContent?alt=sse`."""

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(r"/{version}/models/{call}", self._generate)
        return app

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._receive(request)
        if failure is not None:
            return failure
        text = self._text()
        usage = {"promptTokenCount": 40, "candidatesTokenCount": 15, "totalTokenCount": 55}

        def payload(part: str, last: bool) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": part}]}, "index": 0}
            if last:
                candidate["finishReason"] = "STOP"
            return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "stand-in"}

        if ":streamGenerateContent" not in request.path:
            return web.json_response(payload(text, True))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        pieces = [text[i:i + 10] for i in range(0, len(text), 10)]
        for n, piece in enumerate(pieces):
            await response.write(f"data: {json.dumps(payload(piece, n == len(pieces) - 1))}\r\n\r\n".encode())
        await response.write_eof()
        return response
