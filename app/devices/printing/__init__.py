"""Receipt printers: profiles, code pages and ESC/POS rendering; connections, status and the queue worker."""
