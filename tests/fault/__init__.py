"""The fault campaign (docs/SYNC.md, "Fault campaign"): head office and terminal
processes on loopback, a fault-injecting TCP proxy between them, SIGKILLs, skewed
clocks, and the checks that nothing was lost, doubled or left diverged."""
