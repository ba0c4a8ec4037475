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
