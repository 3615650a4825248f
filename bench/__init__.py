"""Storekeeper's benchmark: `make bench` (python -m bench). See bench/REPORT.md for the latest figures."""
