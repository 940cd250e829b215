"""Test helpers: real servers on free loopback ports, pytest fixtures."""
