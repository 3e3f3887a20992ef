"""Benchmarks (not tests): directory search and card lookup on big demo stores.

Run ``python -m benchmarks [--sizes 100000,1000000] [--data-dir benchmarks/.data]``.
"""
