"""``python -m headoffice <command>``; see headoffice/cli.py."""

from headoffice.cli import main

raise SystemExit(main())
