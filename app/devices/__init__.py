"""Card readers, scanners, caller ID and printers: parsers and transports (not built yet)."""
