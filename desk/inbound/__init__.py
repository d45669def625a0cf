"""The e-mail channel: replies read from a mailbox join their ticket, exactly once."""
