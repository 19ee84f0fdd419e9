"""Console users, sessions and the folder listing of the Media Explorer, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.catalog.catalog_factories import T0, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.console import ConsoleSession
from cloudlet.errors import AlreadyExistsError, NotFoundError


def _session(token_hash: str, user_id: int, cloud_id: int, hours: int = 1) -> ConsoleSession:
    return ConsoleSession(
        token_hash, user_id, "", cloud_id, "csrf", {"on": False}, T0 + timedelta(hours=hours)
    )


def test_users_are_per_cloud(catalog: Catalog) -> None:
    acme = catalog.create_cloud("acme", "111111111111111", "secretsecret")
    other = catalog.create_cloud("other", "222222222222222", "secretsecret")
    catalog.create_console_user(acme.id, "alice", "hash-a", T0)
    catalog.create_console_user(other.id, "alice", "hash-b", T0)  # the same name elsewhere
    with pytest.raises(AlreadyExistsError):
        catalog.create_console_user(acme.id, "alice", "hash-c", T0)
    found = catalog.get_console_user(acme.id, "alice")
    assert found is not None and found.password_hash == "hash-a"
    assert catalog.get_console_user(acme.id, "bob") is None
    assert [u.username for u in catalog.list_console_users(other.id)] == ["alice"]


def test_sessions_expire_end_and_follow_their_user(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("acme", "111111111111111", "secretsecret")
    user = catalog.create_console_user(cloud.id, "alice", "hash", T0)
    catalog.create_console_session(_session("a" * 64, user.id, cloud.id), T0)
    found = catalog.get_console_session("a" * 64, T0)
    assert found is not None and found.username == "alice" and found.cloud_id == cloud.id
    assert catalog.get_console_session("a" * 64, T0 + timedelta(hours=2)) is None  # expired
    catalog.set_console_inspect("a" * 64, {"on": True, "calls": [{"operation": "rename"}]})
    assert catalog.get_console_session("a" * 64, T0).inspect["on"] is True  # type: ignore[union-attr]
    # a new session that replaces the old one ends it, in one transaction
    catalog.create_console_session(_session("b" * 64, user.id, cloud.id), T0, replaces="a" * 64)
    assert catalog.get_console_session("a" * 64, T0) is None
    catalog.set_console_password(cloud.id, "alice", "new-hash")  # ends every session
    assert catalog.get_console_session("b" * 64, T0) is None
    catalog.create_console_session(_session("c" * 64, user.id, cloud.id), T0)
    catalog.delete_console_user(cloud.id, "alice")
    assert catalog.get_console_session("c" * 64, T0) is None
    with pytest.raises(NotFoundError):
        catalog.delete_console_user(cloud.id, "alice")


def test_expired_sessions_are_swept_when_a_new_one_starts(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("acme", "111111111111111", "secretsecret")
    user = catalog.create_console_user(cloud.id, "alice", "hash", T0)
    catalog.create_console_session(_session("a" * 64, user.id, cloud.id, hours=1), T0)
    later = T0 + timedelta(hours=3)
    catalog.create_console_session(_session("b" * 64, user.id, cloud.id, hours=5), later)
    with catalog.engine.connect() as conn:
        from cloudlet.catalog.schema import console_sessions

        hashes = [row.token_hash for row in conn.execute(console_sessions.select())]
    assert hashes == ["b" * 64]


def test_folder_listing_holds_only_the_folders_own_assets(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("acme", "111111111111111", "secretsecret")
    names = ["top", "a/one", "a/two", "a/b/deep", "a_b/x", "a%/y", "A/upper", "ab"]
    for name in names:
        catalog.create_or_replace_asset(cloud.id, new_asset(name), overwrite=False, now=T0)
    video = new_asset("a/vid", resource_type="video", format="mp4")
    catalog.create_or_replace_asset(cloud.id, video, overwrite=False, now=T0)

    def listed(folder: str, size: int = 50) -> list[str]:
        found, cursor = [], None
        while True:
            page = catalog.list_folder_assets(cloud.id, folder, max_results=size, cursor=cursor)
            found += [a.public_id for a in page.items]
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

    assert listed("") == ["ab", "top"]
    assert listed("a") == ["a/one", "a/two", "a/vid"]
    assert listed("a", size=1) == ["a/one", "a/two", "a/vid"]  # keyset pages
    assert listed("a/b") == ["a/b/deep"]
    assert listed("a_b") == ["a_b/x"]  # LIKE wildcards in names are literal
    assert listed("a%") == ["a%/y"]
    assert listed("A") == ["A/upper"]  # case matters
