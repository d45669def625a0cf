"""Administration: queues and their members, domains and categories."""
