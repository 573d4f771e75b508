"""Renderers: typed command results → text for the console (`text.py`), embeds for Discord (later)."""
