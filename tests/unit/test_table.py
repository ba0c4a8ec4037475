"""The single table's plumbing (no AWS): one botocore client for every model and raw call."""

from __future__ import annotations


def test_every_model_and_the_raw_calls_share_one_botocore_client(monkeypatch):
    from activity_tracker.repository import table
    from activity_tracker.repository.activities import ActivityItem, LocalIdGuard
    from activity_tracker.repository.learning import ClassItem
    from activity_tracker.repository.users import UserItem

    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():  # pynamodb replaces a client without credentials
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(table, "_connection", None)
    models = (UserItem, ActivityItem, LocalIdGuard, ClassItem)
    for model in models:
        monkeypatch.setattr(model, "_connection", None)

    shared = table.connection().client
    for model in models:
        assert model._get_connection().connection.client is shared, model.__name__
    assert ActivityItem._get_connection().get_meta_table().has_index_name("gsi4")  # each model keeps its own schema


def test_records_hold_what_pynamodb_would_read():
    """Read paths build plain records instead of model objects: the same values, defaults included."""
    from activity_tracker.repository.activities import ActivityItem, build
    from activity_tracker.repository.exports import ExportItem
    from activity_tracker.repository.learning import ClassItem
    from activity_tracker.repository.table import reader

    activity = build({
        "id": "a1", "organization_id": "o", "user_id": "u", "registered_by_user_id": "u", "activity_date": "2026-10-01T10:00:00.000Z",
        "local_date": "2026-10-01", "duration_minutes": 45, "activity_type": "group_activity", "is_group_activity": True,
        "participant_count": 4, "summary": "Walk", "status": "approved", "created_at": "t", "updated_at": "t", "version": 3,
    })  # fmt: skip
    klass = ClassItem("p", "s", id="c", organization_id="o", host_id="h", class_type="grupal", max_participants=10, current_participants=2,
                      participant_ids={"a", "b"}, member_activities={"a|1", "b|2"}, status="pending", scheduled_at="t", created_at="t", updated_at="t", gsi2pk="g", gsi2sk="t")  # fmt: skip
    export = ExportItem("p", "s", id="e", organization_id="o", status="done", period_start="2026-01-01", period_end="2026-01-31", format="csv",
                        row_count=12, summary={"categories": {"outreach": {"activity_count": 1}}, "active_mentors": 1}, created_at="t", updated_at="t", gsi2pk="g", gsi2sk="t")  # fmt: skip
    bare = ActivityItem("p", "s")  # every other attribute absent: PynamoDB's defaults
    for item in (activity, klass, export, bare):
        model, raw = type(item), item.serialize(null_check=False)
        expected = model.from_raw_data(raw)
        assert vars(reader(model)(raw)) == {name: getattr(expected, name) for name in model.get_attributes()}, model.__name__


def test_plain_values_are_what_boto3_gives_with_numbers_as_int_or_float():
    from activity_tracker.repository.table import plain, plain_item

    assert [plain(v) for v in ({"N": "3"}, {"N": "-2"}, {"N": "1.5"}, {"N": "1E+2"}, {"S": "x"}, {"BOOL": False}, {"NULL": True})] == [3, -2, 1.5, 100, "x", False, None]
    assert plain({"M": {"a": {"L": [{"N": "1"}, {"SS": ["x", "y"]}]}, "b": {"NS": ["1", "2.5"]}}}) == {"a": [1, {"x", "y"}], "b": {1, 2.5}}
    assert plain_item(None) is None and plain_item({"pk": {"S": "p"}, "n": {"N": "7"}}) == {"pk": "p", "n": 7}
