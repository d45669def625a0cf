"""What the outbox puts on the broker: a private redis-server, no worker, messages read back."""

from __future__ import annotations

import base64
import json

import pytest
import redis

from desk.notifications.models import Channel
from desk.notifications.outbox import DELIVER_BATCH, DELIVER_TASK, enqueue_delivery
from tests.notifications.helpers import rows, submit
from tests.notifications.test_broker_faults import broker_stack, redis_server  # noqa: F401
from tests.support.factories import make_queue, make_user

pytestmark = pytest.mark.worker


def _published(url: str) -> list[tuple[str, list[int]]]:
    """(task name, its ids) of each message waiting in the default queue, oldest first."""
    client = redis.Redis.from_url(url)
    messages = []
    for raw in reversed(client.lrange("celery", 0, -1)):  # LPUSHed: newest first
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], args))
    return messages


def test_a_new_ticket_and_its_staff_emails_go_out_as_one_task(broker_stack, redis_server):  # noqa: F811
    queue = make_queue()
    for n in range(3):
        make_user(f"tech{n}@umontpellier.fr", queues=(queue,), role="technician")
    submit(make_user("claire@umontpellier.fr"), queue=queue)
    ids = sorted(r.id for r in rows(Channel.EMAIL))
    assert len(ids) == 4  # the acknowledgement and three technicians
    ((task, args),) = _published(redis_server.url)
    assert task == DELIVER_TASK and sorted(args) == ids


def test_a_long_list_is_split_so_that_several_workers_share_it(broker_stack, redis_server):  # noqa: F811
    ids = list(range(1, 2 * DELIVER_BATCH + 4))
    assert enqueue_delivery(ids) == len(ids)
    published = _published(redis_server.url)
    assert [len(args) for _task, args in published] == [DELIVER_BATCH, DELIVER_BATCH, 3]
    assert [i for _task, args in published for i in args] == ids
