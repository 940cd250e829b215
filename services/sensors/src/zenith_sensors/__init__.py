"""Zenith sensors service."""
