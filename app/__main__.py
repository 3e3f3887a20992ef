"""Run the terminal: ``python -m app``; sync from the command line: ``python -m app sync …``."""

import sys

if sys.argv[1:2] == ["sync"]:  # no Qt for the sync commands: they run on headless machines
    from app.wiring.cli import main as sync_main

    raise SystemExit(sync_main(sys.argv[2:]))

from app.bootstrap import main

raise SystemExit(main())
