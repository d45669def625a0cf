"""Service catalogue: forms and input helpers for catalogue requests."""
