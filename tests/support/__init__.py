"""Test helpers: factories, database reset, embedded servers."""
