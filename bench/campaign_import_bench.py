"""Campaign import time per page: parse (layout + chunks + world + tags), embed, and store.

Run: `.venv/bin/python bench/campaign_import_bench.py [PDF ...] [--repeat N] [--json]`
(default PDF: the sample adventure). Uses DATABASE_URL if set, else a throw-away embedded
PostgreSQL in a temporary data dir. Prints milliseconds per page for each stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scratch import run_in_scratch_dir  # noqa: E402
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gateway.database import open_database  # noqa: E402
from gateway.settings import get_settings  # noqa: E402
from ingest.campaign.pipeline import parse_campaign_pdf  # noqa: E402
from ingest.campaign.service import store_import  # noqa: E402
from ingest.embedder import get_embedder  # noqa: E402


async def bench(paths: list[Path], repeat: int) -> list[dict]:
    embedder = get_embedder()
    out = []
    async with open_database(get_settings()) as db:
        for path in paths:
            parse_s, embed_s, store_s = [], [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                parsed = parse_campaign_pdf(path)
                t1 = time.perf_counter()
                vectors = embedder.embed([c.embedding_text() for c in parsed.chunks])
                t2 = time.perf_counter()
                parse_s.append(t1 - t0)
                embed_s.append(t2 - t1)
                t3 = time.perf_counter()
                await store_import(db, "bench-import", parsed, None)   # store without re-embedding
                store_s.append(time.perf_counter() - t3)
                del vectors
            pages = parsed.document.page_count
            row = {"file": path.name, "pages": pages, "chunks": len(parsed.chunks),
                   "parse_ms_per_page": 1000 * statistics.median(parse_s) / pages,
                   "embed_ms_per_page": 1000 * statistics.median(embed_s) / pages,
                   "store_ms_per_page": 1000 * statistics.median(store_s) / pages}
            row["total_ms_per_page"] = row["parse_ms_per_page"] + row["embed_ms_per_page"] + row["store_ms_per_page"]
            out.append(row)
        await db.execute("DELETE FROM campaigns WHERE name = %s", ("bench-import",))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, default=[REPO / "data" / "campaigns" / "the-drowned-lantern.pdf"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = asyncio.run(bench(args.pdfs, args.repeat))
    if args.json:
        print(json.dumps(rows))
    for r in rows:
        print(f"{r['file']}: {r['pages']} pages, {r['chunks']} chunks — parse {r['parse_ms_per_page']:.1f} ms/page, "
              f"embed {r['embed_ms_per_page']:.1f} ms/page, store {r['store_ms_per_page']:.1f} ms/page, "
              f"total {r['total_ms_per_page']:.1f} ms/page (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_in_scratch_dir(main))
