"""`lorekeeper db upgrade|status`: apply and inspect the schema migrations."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema: upgrade, status")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply pending migrations (a no-op when up to date)")
    upgrade.add_argument("--json", action="store_true", help="print the result as JSON")
    upgrade.set_defaults(func=_upgrade)
    status = actions.add_parser("status", help="list migrations and whether each is applied "
                                "(exit 1 and a warning when an applied file was edited, deleted or renamed)")
    status.add_argument("--json", action="store_true", help="print the result as JSON")
    status.set_defaults(func=_status)


def _upgrade(args: argparse.Namespace) -> int:
    from gateway.database import open_database
    from gateway.settings import get_settings
    from persistence import migrator

    async def run() -> list[str]:
        async with open_database(get_settings(), upgrade=False) as db:
            return [m.path.name for m in await migrator.upgrade(db)]

    applied = asyncio.run(run())
    if args.json:
        print(json.dumps({"applied": applied}))
    elif applied:
        print("Applied: " + ", ".join(applied))
    else:
        print("Database is up to date; nothing to apply.")
    return 0


def _status(args: argparse.Namespace) -> int:
    from gateway.database import open_database
    from gateway.settings import get_settings
    from persistence import migrator

    async def run() -> list[Any]:
        async with open_database(get_settings(), upgrade=False) as db:
            return await migrator.status(db)

    rows = asyncio.run(run())
    if args.json:
        print(json.dumps([row.__dict__ for row in rows]))
    else:
        for row in rows:
            mark = f"applied {row.applied_at}" if row.applied else "pending"
            print(f"{row.version:03d} {row.name:<30} {mark}" + ("  WARNING: file differs" if row.problem else ""))
        for row in rows:
            if row.problem:
                print(f"WARNING: {row.problem}")
    return 1 if any(row.problem for row in rows) else 0
