"""The head-office sync server (not built yet)."""
