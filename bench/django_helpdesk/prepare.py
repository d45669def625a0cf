"""Run in the django-helpdesk virtualenv after `migrate`: the Site's domain (links in e-mails)
and the one queue that accepts public submissions; prints the queue's id (the form's value).

    python -m bench.django_helpdesk.prepare 127.0.0.1:8002 [team@example.org]

With a second argument the queue e-mails that address a copy of every new ticket
(django-helpdesk's `new_ticket_cc`): two e-mails per submission, as desk sends for its demo
queue (the acknowledgement and the technicians' new-ticket e-mail).
"""

from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.django_helpdesk.settings")
django.setup()

from django.contrib.sites.models import Site  # noqa: E402 - after django.setup()
from helpdesk.models import Queue  # noqa: E402

Site.objects.filter(id=1).update(domain=sys.argv[1], name="django-helpdesk bench")
queue, _ = Queue.objects.get_or_create(
    slug="visio",
    defaults={
        "title": "Visioconférence",
        "allow_public_submission": True,
        "email_address": "visio@umontpellier.fr",
        "new_ticket_cc": sys.argv[2] if len(sys.argv) > 2 else "",
    },
)
print(queue.id)
