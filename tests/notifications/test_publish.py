"""What the outbox puts on the broker: a private redis-server, no worker, messages read back."""

from __future__ import annotations

import base64
import json

import pytest
import redis

from desk.extensions import get_redis
from desk.notifications.models import Channel
from desk.notifications.outbox import (
    DELIVER_BATCH,
    DRAIN_TASK,
    KICK_KEY,
    enqueue_delivery,
    take_kick,
)
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


def test_a_new_ticket_and_its_staff_emails_ask_for_one_drain(broker_stack, redis_server):  # noqa: F811
    queue = make_queue()
    for n in range(3):
        make_user(f"tech{n}@umontpellier.fr", queues=(queue,), role="technician")
    submit(make_user("claire@umontpellier.fr"), queue=queue)
    assert len(rows(Channel.EMAIL)) == 4  # the acknowledgement and three technicians
    assert _published(redis_server.url) == [(DRAIN_TASK, [])]


def test_commits_while_a_drain_is_queued_publish_nothing_more(broker_stack, redis_server):  # noqa: F811
    for _ in range(3):
        submit(make_user())
    assert _published(redis_server.url) == [(DRAIN_TASK, [])]  # one drain sees all three
    take_kick()  # the drain found nothing more: what commits now needs another drain
    submit(make_user())
    submit(make_user())
    assert _published(redis_server.url) == [(DRAIN_TASK, []), (DRAIN_TASK, [])]


def test_a_lost_drain_task_does_not_silence_the_outbox_for_long(broker_stack, redis_server):  # noqa: F811
    submit(make_user())
    ttl = get_redis().pttl(KICK_KEY)
    assert 0 < ttl <= 15_000  # if that task is lost, the kick expires and the next commit asks
    get_redis().delete(KICK_KEY)  # (as if it had expired)
    submit(make_user())
    assert len(_published(redis_server.url)) == 2


def test_a_commit_with_redis_down_keeps_its_rows_for_the_sweep(broker_stack, redis_server):  # noqa: F811
    redis_server.stop()
    ticket = submit(make_user())  # no error for the requester
    assert ticket.id is not None
    (row,) = rows(Channel.EMAIL)
    assert row.status.value == "pending"  # beat's sweep publishes it when Redis is back


def test_a_long_list_is_split_so_that_several_workers_share_it(broker_stack, redis_server):  # noqa: F811
    ids = list(range(1, 2 * DELIVER_BATCH + 4))
    assert enqueue_delivery(ids) == len(ids)
    published = _published(redis_server.url)
    assert [len(args) for _task, args in published] == [DELIVER_BATCH, DELIVER_BATCH, 3]
    assert [i for _task, args in published for i in args] == ids
