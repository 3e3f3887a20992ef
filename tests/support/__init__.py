"""Test doubles for the hardware and services Tabkeeper talks to."""
