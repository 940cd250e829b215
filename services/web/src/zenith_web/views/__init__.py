"""Views: one module per area; each forwards to the service that owns it."""
