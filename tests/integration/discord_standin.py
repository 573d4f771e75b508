"""A stand-in for Discord on 127.0.0.1: its REST API and its gateway, for the real discord.py client.

The bot under test is the real `LorekeeperBot` (discord.py 2.7) with `discord.http.Route.BASE` and
`DiscordWebSocket.DEFAULT_GATEWAY` pointed here (`standin.patch(monkeypatch)`); the webhook and interaction
code in discord.py builds its URLs from `Route.BASE` too, so NPC webhooks and interaction callbacks land here.

- REST (aiohttp): every request is recorded (`standin.requests`: method, path, query, json payload, file
  names) and answered with plausible Discord JSON: users, the application, channels, messages (posted,
  edited, deleted; channel history with `after=`/`before=`/`limit=`), typing, DM channels, webhooks and
  their messages, interaction callbacks and followups, application command sync. An unknown route answers
  404 and is recorded in `standin.unknown` (a test can assert it is empty). `rate_limit(n)` answers the
  next n message posts with a 429 and Discord's rate-limit headers.
- Gateway (websocket, plain JSON text frames): HELLO → IDENTIFY → READY + GUILD_CREATE, or RESUME →
  RESUMED (IDENTIFY asking for the message-content intent is closed with 4014 when
  `message_content_allowed=False`; `token=` makes a wrong token a 401 at login); heartbeats ACKed;
  REQUEST_GUILD_MEMBERS answered with an empty chunk. `say()` and `interaction()` push MESSAGE_CREATE /
  INTERACTION_CREATE; `drop()` closes the connection (and holds reconnects until `reopen()`), so what is said
  meanwhile reaches only the channel history, as when a bot misses events.

    standin = DiscordStandIn(channels={CHANNEL: "tavern"})
    await standin.start(); standin.patch(monkeypatch)
    mira = standin.user("mira")
    mid = await standin.say(CHANNEL, mira, "!roll 1d20")
    posted = await standin.wait_sent(CHANNEL, 1)        # the bot's messages in that channel (dicts)

Fixtures for bot tests (`discord_bot`, per module) are in `tests/integration/discord_bot_fixture.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["APP_ID", "BOT_ID", "GUILD_ID", "OWNER_ID", "DiscordStandIn", "Recorded", "text_of"]

GUILD_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
APP_ID = BOT_ID
OWNER_ID = 900_000_000_000_000_003
_DISCORD_EPOCH_MS = 1_420_070_400_000
_ALL_PERMISSIONS = str((1 << 50) - 1)


@dataclass
class Recorded:
    method: str
    path: str  # after /api/v10
    query: dict[str, str]
    json: Any = None
    files: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class DiscordStandIn:
    """See the module docstring."""

    def __init__(self, channels: dict[int, str] | None = None, *, guild_id: int = GUILD_ID,
                 bot_name: str = "Lorekeeper", token: str | None = None,
                 message_content_allowed: bool = True) -> None:  # fmt: skip
        self.guild_id = guild_id
        self.token = token  # set: any other token is refused (401), as Discord does a wrong one
        self.message_content_allowed = message_content_allowed  # False: IDENTIFY asking for it is closed 4014
        self.channels: dict[int, str] = dict(channels or {})
        self.bot_user = {"id": str(BOT_ID), "username": bot_name, "global_name": bot_name, "discriminator": "0",
                         "avatar": None, "bot": True, "flags": 0}  # fmt: skip
        self.users: dict[int, dict[str, Any]] = {BOT_ID: self.bot_user}
        self.requests: list[Recorded] = []
        self.unknown: list[Recorded] = []
        self.limited: list[Recorded] = []  # requests answered 429 (`rate_limit()`)
        self._limited, self._retry_after = 0, 0.3
        self.history: dict[int, list[dict[str, Any]]] = {c: [] for c in self.channels}
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.callbacks: dict[int, list[dict[str, Any]]] = {}  # interaction id → its callback payloads
        self.originals: dict[int, dict[str, Any]] = {}  # interaction id → its original response message
        self._pushed: dict[int, int] = {}  # interaction id → its channel
        self.gateway_log: list[dict[str, Any]] = []  # every frame the bot sent
        self.identify: dict[str, Any] | None = None
        self.connections = 0
        self.resumes = 0
        self.ready = asyncio.Event()  # set while a gateway session is live (READY or RESUMED sent)
        self._open = asyncio.Event()
        self._open.set()
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._last_id = 0
        self._names = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001

    async def stop(self) -> None:
        self._open.set()
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1000)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    def patch(self, monkeypatch: Any) -> None:
        """Point discord.py's REST routes and default gateway here (undone with the monkeypatch)."""
        import discord.http
        import yarl
        from discord.gateway import DiscordWebSocket

        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url))

    # --- people and ids --------------------------------------------------------------------------------

    def next_id(self) -> int:
        """A fresh snowflake for now, always larger than the last one handed out."""
        ms = int(datetime.now(UTC).timestamp() * 1000) - _DISCORD_EPOCH_MS
        self._last_id = max(self._last_id + 1, ms << 22)
        return self._last_id

    def user(self, name: str, user_id: int | None = None, *, bot: bool = False) -> dict[str, Any]:
        """A Discord user (made once per name)."""
        for found in self.users.values():
            if found["username"] == name:
                return found
        uid = user_id or 800_000_000_000_000_000 + next(self._names)
        user = {"id": str(uid), "username": name, "global_name": name, "discriminator": "0", "avatar": None,
                "bot": bot, "flags": 0}  # fmt: skip
        self.users[uid] = user
        return user

    def _member(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                "permissions": _ALL_PERMISSIONS}  # fmt: skip

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        if channel_id in self.dm_channels.values():
            uid = next(u for u, c in self.dm_channels.items() if c == channel_id)
            return {"id": str(channel_id), "type": 1, "recipients": [self.users[uid]], "last_message_id": None}
        return {"id": str(channel_id), "type": 0, "name": self.channels.get(channel_id, f"channel-{channel_id}"),
                "guild_id": str(self.guild_id), "position": 0, "permission_overwrites": [], "nsfw": False,
                "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None}  # fmt: skip

    def add_channel(self, channel_id: int, name: str) -> None:
        """A channel created after the bot connected (pushed as CHANNEL_CREATE when connected)."""
        self.channels[channel_id] = name
        self.history.setdefault(channel_id, [])
        if self._ws is not None and not self._ws.closed:
            asyncio.get_running_loop().create_task(self._dispatch("CHANNEL_CREATE", self.channel_payload(channel_id)))

    def guild_payload(self) -> dict[str, Any]:
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": _ALL_PERMISSIONS, "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip
        return {
            "id": str(self.guild_id), "name": "Stand-in Guild", "owner_id": str(OWNER_ID), "icon": None,
            "roles": [everyone], "channels": [self.channel_payload(c) for c in self.channels],
            "members": [self._member(self.bot_user)], "member_count": 2, "large": False, "unavailable": False,
            "emojis": [], "stickers": [], "features": [], "threads": [], "voice_states": [], "presences": [],
            "joined_at": _now(), "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_flags": 0, "nsfw_level": 0, "stage_instances": [], "guild_scheduled_events": [],
        }  # fmt: skip

    def message_payload(self, channel_id: int, author: dict[str, Any], content: str, *, message_id: int | None = None,
                        embeds: list[Any] | None = None, components: list[Any] | None = None,
                        webhook_id: int | None = None, flags: int = 0) -> dict[str, Any]:  # fmt: skip
        mentioned = [self.users[int(m)] for m in re.findall(r"<@!?(\d+)>", content) if int(m) in self.users]
        payload: dict[str, Any] = {
            "id": str(message_id or self.next_id()), "channel_id": str(channel_id), "author": author,
            "content": content, "timestamp": _now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": mentioned, "mention_roles": [], "attachments": [],
            "embeds": embeds or [], "components": components or [], "pinned": False, "type": 0, "flags": flags,
        }  # fmt: skip
        if channel_id in self.channels:
            payload["guild_id"] = str(self.guild_id)
            if webhook_id is None:
                payload["member"] = {k: v for k, v in self._member(author).items() if k != "user"}
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
        return payload

    # --- what a test does ------------------------------------------------------------------------------

    async def say(self, channel_id: int, author: dict[str, Any], text: str, *, message_id: int | None = None,
                  dispatch: bool = True) -> int:  # fmt: skip
        """A player's message: into the channel's history, and pushed to the bot when it is connected (and
        `dispatch`). Returns the message id."""
        message = self.message_payload(channel_id, author, text, message_id=message_id)
        self.history.setdefault(channel_id, []).append(message)
        if dispatch and self.connected:
            await self._dispatch("MESSAGE_CREATE", message)
        return int(message["id"])

    async def redeliver(self, channel_id: int, message_id: int) -> None:
        """Push a message already said once more (a gateway redelivery)."""
        message = next(m for m in self.history[channel_id] if int(m["id"]) == message_id)
        await self._dispatch("MESSAGE_CREATE", message)

    async def interaction(self, channel_id: int, author: dict[str, Any], data: dict[str, Any], *, kind: int = 2,
                          message: dict[str, Any] | None = None) -> int:  # fmt: skip
        """Push an INTERACTION_CREATE (2: a slash command, 3: a component, 4: autocomplete, 5: a modal);
        returns its id. Its callbacks land in `callbacks[id]`, followups in the channel's history."""
        iid = self.next_id()
        payload: dict[str, Any] = {
            "id": str(iid), "application_id": str(APP_ID), "type": kind, "token": f"itoken-{iid}", "version": 1,
            "guild_id": str(self.guild_id), "channel_id": str(channel_id),
            "channel": self.channel_payload(channel_id), "member": self._member(author), "data": data,
            "locale": "en-US", "guild_locale": "en-US", "app_permissions": _ALL_PERMISSIONS, "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 26_214_400,  # discord.py 2.7 reads it from every interaction
        }  # fmt: skip
        if message is not None:
            payload["message"] = message
        self.callbacks[iid] = []
        self._pushed[iid] = channel_id
        await self._dispatch("INTERACTION_CREATE", payload)
        return iid

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed and self.ready.is_set()

    async def drop(self, code: int = 4000) -> None:
        """Close the gateway connection; reconnects wait until `reopen()`."""
        self._open.clear()
        self.ready.clear()
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.close(code=code)

    def rate_limit(self, times: int = 1, retry_after: float = 0.3) -> None:
        """The next `times` message posts are answered 429 (Too Many Requests) with `retry_after` seconds."""
        self._limited, self._retry_after = times, retry_after

    def reopen(self) -> None:
        self._open.set()

    def sent(self, channel_id: int) -> list[dict[str, Any]]:
        """What the bot posted in `channel_id` (as itself or through a webhook), oldest first."""
        return [m for m in self.history.get(channel_id, []) if m["author"]["id"] == str(BOT_ID) or "webhook_id" in m]

    def dms(self, user_id: int) -> list[dict[str, Any]]:
        """What the bot sent to `user_id` by direct message."""
        channel = self.dm_channels.get(user_id)
        return [] if channel is None else list(self.history.get(channel, []))

    def typing(self, channel_id: int) -> int:
        """How many typing indicators the bot triggered in `channel_id`."""
        return sum(1 for r in self.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/typing")

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "a condition") -> Any:
        """Poll `predicate` until it is truthy; returns its value (AssertionError after `timeout`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"stand-in: timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.02)

    async def wait_sent(self, channel_id: int, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until the bot has posted at least `count` messages in `channel_id`; returns them all."""
        await self.wait_until(lambda: len(self.sent(channel_id)) >= count, timeout,
                              f"{count} bot message(s) in channel {channel_id}")  # fmt: skip
        return self.sent(channel_id)

    # --- gateway -------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        await self._open.wait()
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                break
            await self._on_frame(ws, json.loads(frame.data))
        if self._ws is ws:
            self.ready.clear()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        self.gateway_log.append(payload)
        op = payload.get("op")
        if op == 1:
            await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 2:
            self.identify = payload["d"]
            if not self.message_content_allowed and int(payload["d"].get("intents", 0)) & (1 << 15):
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            ready = {"v": 10, "user": self.bot_user, "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                     "session_id": "standin-session", "resume_gateway_url": self.gateway_url,
                     "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": [],
                     "shard": [0, 1]}  # fmt: skip
            self._seq = 0
            await self._dispatch("READY", ready, ws)
            await self._dispatch("GUILD_CREATE", self.guild_payload(), ws)
            self.ready.set()
        elif op == 6:
            self.resumes += 1
            await self._dispatch("RESUMED", {}, ws)
            self.ready.set()
        elif op == 8:
            chunk = {"guild_id": str(self.guild_id), "members": [], "chunk_index": 0, "chunk_count": 1,
                     "nonce": payload["d"].get("nonce")}  # fmt: skip
            await self._dispatch("GUILD_MEMBERS_CHUNK", chunk, ws)

    async def _dispatch(self, event: str, data: dict[str, Any], ws: web.WebSocketResponse | None = None) -> None:
        target = ws or self._ws
        if target is None or target.closed:
            raise AssertionError(f"stand-in: the bot is not connected (cannot push {event})")
        self._seq += 1
        await target.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    # --- REST ----------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _body(request)
        record = Recorded(request.method, path, dict(request.query), body, files)
        self.requests.append(record)
        if self._limited > 0 and request.method == "POST" and re.fullmatch(r"/channels/\d+/messages", path):
            self._limited -= 1
            self.limited.append(record)
            return _json({"message": "You are being rate limited.", "retry_after": self._retry_after,
                          "global": False}, 429, headers={
                "Via": "1.1 google", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(self._retry_after), "X-RateLimit-Bucket": "standin-bucket",
                "X-RateLimit-Scope": "user"})  # fmt: skip
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and method == request.method:
                return await handler(request, body, *match.groups())
        self.unknown.append(record)
        return _json({"message": f"stand-in: no route {request.method} {path}", "code": 0}, status=404)

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/users/(\d+)", self._get_user),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/typing", self._no_content),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("GET", r"/channels/(\d+)/messages", self._get_history),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("PUT", r"/channels/(\d+)/messages/(\d+)/reactions/.*", self._no_content),
            ("GET", r"/channels/(\d+)/webhooks", self._list_webhooks),
            ("POST", r"/channels/(\d+)/webhooks", self._create_webhook),
            ("GET", r"/guilds/(\d+)/webhooks", self._list_all_webhooks),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._webhook_post),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(\d+|@original)", self._webhook_edit),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(\d+|@original)", self._webhook_get),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(\d+|@original)", self._webhook_delete),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("PUT", r"/applications/(\d+)/commands", self._sync_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._sync_commands),
            ("GET", r"/applications/(\d+)/commands", self._empty_list),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._empty_list),
        ]

    async def _me(self, request: web.Request, body: Any) -> web.Response:
        if self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json(self.bot_user)

    async def _application(self, request: web.Request, body: Any) -> web.Response:
        owner = self.user("owner", OWNER_ID)
        return _json({
            "id": str(APP_ID), "name": "Lorekeeper", "icon": None, "description": "", "rpc_origins": [],
            "bot_public": True, "bot_require_code_grant": False, "owner": owner, "summary": "", "verify_key": "0",
            "team": None, "flags": 0, "bot": self.bot_user,
        })  # fmt: skip

    async def _get_user(self, request: web.Request, body: Any, uid: str) -> web.Response:
        user = self.users.get(int(uid))
        if user is None:
            return _json({"message": "Unknown User", "code": 10013}, status=404)
        return _json(user)

    async def _open_dm(self, request: web.Request, body: Any) -> web.Response:
        uid = int(body["recipient_id"])
        if uid not in self.dm_channels:
            self.dm_channels[uid] = self.next_id()
            self.history[self.dm_channels[uid]] = []
        return _json(self.channel_payload(self.dm_channels[uid]))

    async def _get_channel(self, request: web.Request, body: Any, cid: str) -> web.Response:
        if int(cid) not in self.channels and int(cid) not in self.dm_channels.values():
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(self.channel_payload(int(cid)))

    async def _no_content(self, request: web.Request, body: Any, *ids: str) -> web.Response:
        return web.Response(status=204)

    async def _empty_list(self, request: web.Request, body: Any, *ids: str) -> web.Response:
        return _json([])

    async def _post_message(self, request: web.Request, body: Any, cid: str) -> web.Response:
        body = body or {}
        message = self.message_payload(int(cid), self.bot_user, body.get("content") or "",
                                       embeds=body.get("embeds"), components=body.get("components"),
                                       flags=body.get("flags") or 0)  # fmt: skip
        self.history.setdefault(int(cid), []).append(message)
        return _json(message)

    def _find(self, cid: int, mid: int) -> dict[str, Any] | None:
        return next((m for m in self.history.get(cid, []) if int(m["id"]) == mid), None)

    async def _get_history(self, request: web.Request, body: Any, cid: str) -> web.Response:
        q = request.query
        limit = int(q.get("limit", 50))
        messages = sorted(self.history.get(int(cid), []), key=lambda m: int(m["id"]))
        if "after" in q:
            picked = [m for m in messages if int(m["id"]) > int(q["after"])][:limit]
        elif "before" in q:
            picked = [m for m in messages if int(m["id"]) < int(q["before"])][-limit:]
        else:
            picked = messages[-limit:]
        return _json(list(reversed(picked)))  # Discord answers newest first

    async def _get_message(self, request: web.Request, body: Any, cid: str, mid: str) -> web.Response:
        found = self._find(int(cid), int(mid))
        if found is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(found)

    async def _edit_message(self, request: web.Request, body: Any, cid: str, mid: str) -> web.Response:
        found = self._find(int(cid), int(mid))
        if found is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        for key in ("content", "embeds", "components", "flags"):
            if body and key in body:
                found[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        found["edited_timestamp"] = _now()
        return _json(found)

    async def _delete_message(self, request: web.Request, body: Any, cid: str, mid: str) -> web.Response:
        found = self._find(int(cid), int(mid))
        if found is not None:
            self.history[int(cid)].remove(found)
        return web.Response(status=204)

    async def _list_webhooks(self, request: web.Request, body: Any, cid: str) -> web.Response:
        return _json([w for w in self.webhooks.values() if w["channel_id"] == cid])

    async def _list_all_webhooks(self, request: web.Request, body: Any, gid: str) -> web.Response:
        return _json(list(self.webhooks.values()))

    async def _create_webhook(self, request: web.Request, body: Any, cid: str) -> web.Response:
        wid = self.next_id()
        hook = {"id": str(wid), "type": 1, "token": f"wtoken-{wid}", "channel_id": cid, "guild_id": str(self.guild_id),
                "name": (body or {}).get("name") or "hook", "avatar": None, "application_id": str(APP_ID),
                "user": self.bot_user}  # fmt: skip
        self.webhooks[wid] = hook
        return _json(hook)

    async def _webhook_post(self, request: web.Request, body: Any, wid: str, token: str) -> web.Response:
        body = body or {}
        if int(wid) == APP_ID:  # an interaction followup
            iid = _interaction_of(token)
            channel = self._channel_of_interaction(iid or 0)
            author = self.bot_user
        else:
            hook = self.webhooks.get(int(wid))
            if hook is None:
                return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
            channel = int(hook["channel_id"])
            author = {"id": wid, "username": body.get("username") or hook["name"], "discriminator": "0000",
                      "avatar": None, "bot": True, "global_name": None}  # fmt: skip
        message = self.message_payload(channel, author, body.get("content") or "", embeds=body.get("embeds"),
                                       components=body.get("components"), flags=body.get("flags") or 0,
                                       webhook_id=int(wid))  # fmt: skip
        if body.get("avatar_url"):
            message["author"]["avatar_url"] = body["avatar_url"]
        self.history.setdefault(channel, []).append(message)
        if request.query.get("wait", "false") == "false" and int(wid) != APP_ID:
            return web.Response(status=204)
        return _json(message)

    async def _webhook_edit(self, request: web.Request, body: Any, wid: str, token: str, mid: str) -> web.Response:
        target = self._webhook_message(wid, token, mid)
        if target is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        for key in ("content", "embeds", "components"):
            if body and key in body:
                target[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        target["edited_timestamp"] = _now()
        return _json(target)

    async def _webhook_get(self, request: web.Request, body: Any, wid: str, token: str, mid: str) -> web.Response:
        target = self._webhook_message(wid, token, mid)
        if target is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(target)

    async def _webhook_delete(self, request: web.Request, body: Any, wid: str, token: str, mid: str) -> web.Response:
        target = self._webhook_message(wid, token, mid)
        if target is not None:
            for messages in self.history.values():
                if target in messages:
                    messages.remove(target)
        return web.Response(status=204)

    def _webhook_message(self, wid: str, token: str, mid: str) -> dict[str, Any] | None:
        if mid == "@original":
            iid = _interaction_of(token)
            return self.originals.get(iid or 0)
        for messages in self.history.values():
            for m in messages:
                if m["id"] == mid:
                    return m
        return None

    async def _callback(self, request: web.Request, body: Any, iid: str, token: str) -> web.Response:
        self.callbacks.setdefault(int(iid), []).append(body or {})
        data = (body or {}).get("data") or {}
        if (body or {}).get("type") in (4, 5, 7):  # a message (or a deferred one) is the original response
            channel = self._channel_of_interaction(int(iid))
            message = self.message_payload(channel, self.bot_user, data.get("content") or "",
                                           embeds=data.get("embeds"), components=data.get("components"),
                                           flags=data.get("flags") or 0, webhook_id=APP_ID)  # fmt: skip
            self.originals[int(iid)] = message
            if not (data.get("flags") or 0) & 64:  # an ephemeral answer is not in the channel's history
                self.history.setdefault(channel, []).append(message)
        if request.query.get("with_response") in ("true", "True", "1"):
            return _json({"interaction": {"id": iid, "type": 2}, "resource": None})
        return web.Response(status=204)

    def _channel_of_interaction(self, iid: int) -> int:
        return self._pushed.get(iid, next(iter(self.channels), 0))

    async def _sync_commands(self, request: web.Request, body: Any, *ids: str) -> web.Response:
        synced = []
        for command in body or []:
            synced.append({**command, "id": str(self.next_id()), "application_id": str(APP_ID), "version": "1",
                           "default_member_permissions": command.get("default_member_permissions"),
                           "dm_permission": command.get("dm_permission", True), "nsfw": False})  # fmt: skip
        return _json(synced)


def text_of(message: dict[str, Any]) -> str:
    """A posted message's words: its content and every embed's title, description, fields and footer."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for f in embed.get("fields") or []:
            parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the bare `application/json` type discord.py checks for (aiohttp's helper adds a charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json"} | (headers or {}))  # fmt: skip


def _interaction_of(token: str) -> int | None:
    match = re.fullmatch(r"itoken-(\d+)", token)
    return int(match.group(1)) if match else None


async def _body(request: web.Request) -> tuple[Any, list[str]]:
    """The request's JSON payload (from a JSON body or a multipart's payload_json) and any file names."""
    if not request.can_read_body:
        return None, []
    kind = request.content_type
    if kind.startswith("multipart/"):
        payload: Any = None
        files: list[str] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                files.append(part.filename or part.name or "")  # type: ignore[union-attr]
                await part.read()  # type: ignore[union-attr]
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode("utf-8", "replace"), []
