"""Follow-ups: a technician asks desk to remind them of a ticket at a given time."""
