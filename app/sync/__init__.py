"""The terminal's sync with head office (docs/SYNC.md): the wire protocol and documents
both sides share, the HTTP client, the sync engine, its background worker and status,
enrolment and the token in the OS keyring. No Qt: the UI hears statuses through a
queued-signal bridge (app/ui/sync_status.py)."""
