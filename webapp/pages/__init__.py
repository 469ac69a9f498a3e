"""Home, profile, the session inspector, the JSON identity and the health check."""
