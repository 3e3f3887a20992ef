"""Receipt printers: profiles, code pages and ESC/POS rendering; connections, status, queue."""
