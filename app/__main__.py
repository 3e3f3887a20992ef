"""Run the terminal: ``python -m app``."""

from app.bootstrap import main

raise SystemExit(main())
