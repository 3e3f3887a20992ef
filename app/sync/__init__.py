"""Terminal-side sync with head office and its wire protocol (not built yet)."""
