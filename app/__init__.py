"""Tabkeeper: an offline-first front-of-house client for venues that know their regulars."""

__version__ = "0.1.0"
