"""Zenith web service."""
