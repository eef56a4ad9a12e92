"""Loci's engine: scan, extract, embed, store, search. Pure Python; never imports Qt."""

__version__ = "0.1.0"
