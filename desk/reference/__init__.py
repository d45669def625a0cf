"""Reference data: domains, categories, queues, and the site → building → floor tree."""
