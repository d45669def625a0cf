"""Canned replies: per-queue answer templates in French and English, with placeholders."""
