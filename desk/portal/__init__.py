"""The requester's portal: "My requests", a ticket's page, comments, cancel and reopen."""
