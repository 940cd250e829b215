"""The ``zenith`` command."""
