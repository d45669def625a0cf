"""Satisfaction: the requester rates a resolved ticket once (1–5 and a comment)."""
