"""Thin Ray actor shells over the plain classes in dm/, inference/ and persistence/ (see DESIGN.md)."""
