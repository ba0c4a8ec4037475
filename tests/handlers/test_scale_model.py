"""The scale model against a measured run: a day of the traffic profile for one organization of ten
mentors, played through the handlers on DynamoDB Local, costs what the model predicts from
scale/work.json (docs/scaling.md, "The model against a measured run")."""

from __future__ import annotations

import pytest

from scale.model import predict
from scale.profile import PER_MENTOR_DAY
from tests.bench.capacity import HISTORY
from tests.capacity import capture
from tests.traffic import ROUTES, Drain, Traffic

MENTORS = 10


def test_a_day_of_ten_mentors_costs_what_the_model_predicts(api, org_id):
    traffic = Traffic(api, org_id, MENTORS)
    traffic.history(HISTORY)  # the steady state the bench measured the kinds in
    stream = Drain(api, org_id, "StreamConsumerFunction")
    stream.deliver()  # the history's counters exist (statistics read them), and its records are not the day's
    day = {kind: round(PER_MENTOR_DAY[kind] * MENTORS) for kind in ROUTES}
    with capture() as measured:
        for kind in ROUTES:  # in this order: reviews, edits and joins need what creates and bookings wrote
            for _ in range(day[kind]):
                traffic.send(kind)
    records = stream.take()
    with capture() as consumed:
        stream.deliver(records)
    predicted = predict(day)

    assert sum(day.values()) > 200
    assert measured.total_calls == pytest.approx(predicted["calls"], rel=0.02)
    assert measured.read_units == pytest.approx(predicted["read"], rel=0.05)
    assert measured.write_units == pytest.approx(predicted["write"], rel=0.05)
    assert measured.stream_records == pytest.approx(predicted["stream_records"], rel=0.02)
    assert len(records) == pytest.approx(predicted["consumer_records"], rel=0.02)
    assert consumed.write_units == pytest.approx(predicted["consumer_write"], rel=0.25)
