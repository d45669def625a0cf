"""People in copy of a ticket: they follow it without having asked for it."""
