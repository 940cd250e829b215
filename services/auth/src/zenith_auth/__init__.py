"""Zenith auth service."""
