"""Notifications: a transactional outbox delivered by Celery, by e-mail (SMTP) and in the app.

- `outbox` collects what ticket changes must notify during a transaction and writes ONE row
  per recipient and channel in that same transaction; after commit it enqueues delivery;
- `services` subscribes to the ticket and SLA signals and decides who hears about what;
- `delivery` claims a row, sends it (`mailer`) and records the outcome, exactly once per row
  except for a documented window of a few milliseconds;
- `reminders` nudges requesters who have not answered and closes abandoned tickets.
"""
