"""Finding tickets: full-text search for staff (their queues) and requesters (their tickets)."""
