"""Campaign PDFs → blocks → granular tagged chunks and a world model (NPCs, locations, plot threads).

Kept import-free so that `ingest.layout` can use `ingest.campaign.blocks` without a cycle;
import the pieces from their modules (`chunker`, `tagger`, `world`, `pipeline`).
"""

__all__: list[str] = []
