"""Cross-cutting pieces: database types, access control, errors, health, i18n helpers."""
