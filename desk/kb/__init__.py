"""Knowledge base: articles that answer before a ticket is needed, and the measure of it."""
