"""Tickets: creation, references, the timeline, attachments, the access rule."""
