"""Zenith products service."""
