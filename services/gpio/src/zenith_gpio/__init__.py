"""Zenith gpio service."""
