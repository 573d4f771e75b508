"""PDF ingestion: pymupdf text and layout into clean blocks, the SRD 5.1 parser (spells, monsters,
magic items, equipment, conditions, rules sections), and campaign PDFs into tagged chunks and a
world model (NPCs, locations, plot threads). Writes through `persistence/`."""
