"""The scale model (scale/): its key classification, its arithmetic, and docs/scaling.md holding its tables."""

from __future__ import annotations

import pytest

from activity_tracker import keys
from tests.capacity import item_size, key_pattern


@pytest.mark.parametrize(
    ("pk", "pattern", "scope"),
    [
        (keys.org_pk("o1"), "ORG#{org}", "organization"),
        (keys.activities_of_org("o1"), "ORG#{org}#ACT", "organization"),
        (keys.deleted_activities_of_org("o1"), "ORG#{org}#ACT#DELETED", "organization"),
        (keys.activities_by_status("o1", "approved"), "ORG#{org}#STATUS#approved", "organization"),
        (keys.changes_of_org("o1"), "ORG#{org}#CHANGES", "organization"),
        (keys.users_of_org("o1"), "ORG#{org}#USERS", "organization"),
        (keys.export_limits_pk("o1"), "ORG#{org}#EXPORTLIMITS", "organization"),
        (keys.user_pk("o1", "u1"), "ORG#{org}#USER#{user}", "user"),
        (keys.activities_of_user("o1", "u1"), "ORG#{org}#USER#{user}#ACT", "user"),
        (keys.changes_of_user("o1", "u1"), "ORG#{org}#USER#{user}#CHANGES", "user"),
        (keys.activity_pk("o1", "a1"), "ORG#{org}#ACT#{activity}", "item"),
        (keys.activities_of_contact("o1", "c1"), "ORG#{org}#CONTACT#{contact}#ACT", "item"),
        (keys.duplicate_guard("o1", "u1", "c1", "meeting", "2026-11-30"), "ORG#{org}#DUP#{slot}", "item"),
        (keys.local_id_guard("o1", "dev-1"), "ORG#{org}#LOCAL#{local_id}", "item"),
        (keys.UNFINISHED_EXPORTS, "EXPORTS#UNFINISHED", "global"),
        (keys.ALL_ORGANIZATIONS, "ORGS", "global"),
    ],
)
def test_a_partition_key_is_filed_under_its_pattern_and_scope(pk: str, pattern: str, scope: str) -> None:
    assert key_pattern(pk) == (pattern, scope)


def test_item_size_follows_dynamodb_rules() -> None:
    # names plus values: "pk" 2 + "ORG#o" 5; "n" 1 + 123 (3 significant digits: 2 bytes + 1); "b" 1 + true 1
    assert item_size({"pk": {"S": "ORG#o"}, "n": {"N": "123"}, "b": {"BOOL": True}}) == 7 + 4 + 2


def test_a_limit_is_reached_at_the_size_over_its_utilisation() -> None:
    from scale.model import evaluate

    small, large = evaluate("a", [(1, 1_000)]), evaluate("b", [(1, 10_000)])
    after_by_name = {limit.name: limit for limit in large.limits}
    for before in small.limits:
        after = after_by_name[before.name]
        if before.grows_with == "largest organization" and before.utilisation:
            assert after.utilisation == pytest.approx(10 * before.utilisation)
            assert after.reached_at == pytest.approx(before.reached_at, rel=1e-3)


def test_docs_scaling_holds_the_model_tables() -> None:
    from scale.__main__ import DOC, block

    assert block() in DOC.read_text(), "docs/scaling.md differs from the scale model's output: run `make scale-model` and commit it"


def test_the_model_uses_the_stacks_own_figures() -> None:
    from activity_tracker.rules.exports import RESERVE_SECONDS
    from local.template import load
    from scale import prices

    worker = load()["Resources"]["JobsWorkerFunction"]["Properties"]
    assert prices.EXPORT_RESERVE_SECONDS == RESERVE_SECONDS
    assert prices.EXPORT_WORKERS == worker["ReservedConcurrentExecutions"]
    assert prices.LAMBDA_MAX_TIMEOUT_SECONDS == worker["Timeout"]


def test_the_model_reads_every_functions_memory_as_the_template_sets_it() -> None:
    from local.template import load
    from scale.model import memory_sizes

    doc = load()
    default = doc["Globals"]["Function"]["MemorySize"]
    expected = {name: (res.get("Properties") or {}).get("MemorySize", default) for name, res in doc["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}
    assert memory_sizes() == expected
