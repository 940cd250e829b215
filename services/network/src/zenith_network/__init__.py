"""Zenith network service: the registry of a hub's cameras and, on a node, the uplink."""
