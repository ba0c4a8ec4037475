"""Privacy rules that need no table: the data-export file's lifetime is the bucket's, retention's
cut-off date, erasure ids, and which activities hold text to remove."""

from __future__ import annotations

import datetime as dt


def test_the_file_lifetime_the_api_assumes_is_the_buckets_rule_for_data_exports():
    from activity_tracker.privacy.export import FILE_DAYS, KEY_PREFIX
    from local.template import Stack

    rules = Stack().resources["ExportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (days,) = [rule["ExpirationInDays"] for rule in rules if rule.get("Prefix") == f"{KEY_PREFIX}/"]
    assert days == FILE_DAYS


def test_the_retention_cutoff_is_that_many_years_before_today():
    from activity_tracker.privacy.retention import cutoff

    assert cutoff(dt.date(2026, 12, 1), 5) == "2021-12-01"
    assert cutoff(dt.date(2028, 2, 29), 1) == "2027-02-28"


def test_an_erasure_of_the_same_subject_has_the_same_id():
    from activity_tracker.privacy.erasure import erasure_id

    assert erasure_id("o", "user", "u") == erasure_id("o", "user", "u") != erasure_id("o", "contact", "u") != erasure_id("p", "user", "u")


def test_an_activity_holds_text_to_remove_while_it_has_free_text_or_a_report():
    from activity_tracker.privacy.text import has_text

    assert has_text({"summary": "x"}) and has_text({"rejection_reason": "x"}) and has_text({"calendar_event_uid": "x"})
    assert has_text({"has_home_visit_report": True})
    assert not has_text({"summary": None, "duration_minutes": 30})
