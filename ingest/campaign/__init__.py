"""Campaign PDFs → blocks → granular tagged chunks and a world model (NPCs, locations, plot threads).

Kept import-free: import the pieces from their modules (`layout` reads a PDF into `blocks`, then
`chunker`, `tagger`, `world`; `pipeline` runs them in order).
"""

__all__: list[str] = []
