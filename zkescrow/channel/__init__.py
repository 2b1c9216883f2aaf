"""Payment channels."""
