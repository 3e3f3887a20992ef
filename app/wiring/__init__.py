"""Wiring that needs no screen: the terminal's store and services, its sync with head
office, the headless terminal and the ``python -m app sync`` commands.

app.bootstrap adds the Qt application, devices and printers on top. Nothing here imports
Qt (import-linter holds it to that), so a headless terminal runs where there is no
display: in the fault campaign's processes, on a server, in a kiosk's service.
"""
