"""Render claims and sign-in failures, shared by every process and node, on SQLite and
PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.catalog.catalog_factories import at

from cloudlet.catalog.catalog import Catalog


def test_one_claim_per_render_until_released(catalog: Catalog) -> None:
    assert catalog.claim_render("k", "a", at(0), at(-90))
    assert not catalog.claim_render("k", "b", at(1), at(-89))
    assert catalog.claim_render("other", "b", at(1), at(-89))  # another derivative
    catalog.release_render("k", "b")  # not b's: nothing happens
    assert catalog.render_claimed("k")
    catalog.release_render("k", "a")
    assert not catalog.render_claimed("k")
    assert catalog.claim_render("k", "b", at(2), at(-88))


def test_a_claim_of_a_dead_process_is_taken_over(catalog: Catalog) -> None:
    assert catalog.claim_render("k", "dead", at(0), at(-90))
    assert not catalog.claim_render("k", "b", at(60), at(-30))
    assert catalog.claim_render("k", "b", at(100), at(10))  # older than the cut-off


def test_concurrent_claims_have_one_winner(catalog: Catalog) -> None:
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda n: catalog.claim_render("k", f"p{n}", at(0), at(-90)), range(8)))
    assert won.count(True) == 1


def test_login_failures_are_counted_per_key_and_forgotten(catalog: Catalog) -> None:
    catalog.add_login_failures(["user:a", "client:1"], at(0), at(-900))
    catalog.add_login_failures(["user:a"], at(10), at(-890))
    found = catalog.login_failures_since(["user:a", "client:1", "user:b"], at(-1))
    assert found == {"user:a": [at(0), at(10)], "client:1": [at(0)], "user:b": []}
    assert catalog.login_failures_since(["user:a"], at(5)) == {"user:a": [at(10)]}
    catalog.add_login_failures(["user:b"], at(1000), at(5))  # forgets those before 5 s
    assert catalog.login_failures_since(["user:a"], at(-1)) == {"user:a": [at(10)]}
