"""Putting approved posts online: holds (stop switches, embargoes), connectors, per-network quotas, the worker."""
