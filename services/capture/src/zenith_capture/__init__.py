"""Zenith capture service."""
