"""Tabkeeper head office: the sync server terminals push to and pull from (docs/SYNC.md).

``python -m headoffice serve`` runs it; the other commands (enrol-code, revoke, seed,
import-docs, ...) are in :mod:`headoffice.cli`.
"""
