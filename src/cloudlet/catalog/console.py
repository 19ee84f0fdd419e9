"""The Media Explorer's records: console users, their sessions, and the listing of one
folder's own assets (not those of its subfolders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.assets import _after, load_assets, prefix_condition
from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database
from cloudlet.catalog.model import Page
from cloudlet.catalog.schema import assets, console_sessions, console_users
from cloudlet.errors import AlreadyExistsError, NotFoundError


@dataclass(frozen=True)
class ConsoleUser:
    """Someone who may sign in to one cloud's Media Explorer."""

    id: int
    cloud_id: int
    username: str
    password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: found by the hash of its cookie token, bound to one cloud."""

    token_hash: str
    user_id: int
    username: str
    cloud_id: int
    csrf_token: str
    inspect: dict[str, Any]
    expires_at: datetime


def _user(row: Row[Any]) -> ConsoleUser:
    return ConsoleUser(row.id, row.cloud_id, row.username, row.password_hash, row.created_at)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ConsoleStore(Database):
    """Console users and sessions; the folder listing of the browse page."""

    # -- users ---------------------------------------------------------------------------
    def create_console_user(
        self, cloud_id: int, username: str, password_hash: str, now: datetime
    ) -> ConsoleUser:
        """AlreadyExistsError if the cloud has a user of that name."""
        values = {
            "cloud_id": cloud_id,
            "username": username,
            "password_hash": password_hash,
            "created_at": now,
        }
        try:
            with self._write(quiet=True) as conn:
                row = conn.execute(
                    sa.insert(console_users).values(values).returning(console_users)
                ).one()
        except IntegrityError:
            raise AlreadyExistsError(f"User {username!r} already exists") from None
        return _user(row)

    def get_console_user(self, cloud_id: int, username: str) -> ConsoleUser | None:
        """The cloud's user of that name, or None."""
        query = sa.select(console_users).where(
            console_users.c.cloud_id == cloud_id, console_users.c.username == username
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _user(row)

    def list_console_users(self, cloud_id: int) -> list[ConsoleUser]:
        """The cloud's users, by name."""
        query = sa.select(console_users).where(console_users.c.cloud_id == cloud_id)
        with self._read() as conn:
            rows = conn.execute(query.order_by(console_users.c.username)).all()
        return [_user(row) for row in rows]

    def set_console_password(self, cloud_id: int, username: str, password_hash: str) -> None:
        """Replace the user's password and end every session they have (NotFoundError)."""
        user = self._require_user(cloud_id, username)
        with self._write(quiet=True) as conn:
            conn.execute(
                sa.update(console_users)
                .where(console_users.c.id == user.id)
                .values(password_hash=password_hash)
            )
            conn.execute(sa.delete(console_sessions).where(console_sessions.c.user_id == user.id))

    def delete_console_user(self, cloud_id: int, username: str) -> None:
        """Remove the user and their sessions (NotFoundError)."""
        user = self._require_user(cloud_id, username)
        with self._write(quiet=True) as conn:
            conn.execute(sa.delete(console_sessions).where(console_sessions.c.user_id == user.id))
            conn.execute(sa.delete(console_users).where(console_users.c.id == user.id))

    def _require_user(self, cloud_id: int, username: str) -> ConsoleUser:
        user = self.get_console_user(cloud_id, username)
        if user is None:
            raise NotFoundError(f"Unknown user {username!r}")
        return user

    # -- sessions ------------------------------------------------------------------------
    def create_console_session(
        self, session: ConsoleSession, now: datetime, *, replaces: str | None = None
    ) -> None:
        """Store a new session; ``replaces`` (a token hash) is ended in the same transaction,
        and so is every expired session."""
        values = {
            "token_hash": session.token_hash,
            "user_id": session.user_id,
            "cloud_id": session.cloud_id,
            "csrf_token": session.csrf_token,
            "inspect": session.inspect,
            "created_at": now,
            "expires_at": session.expires_at,
        }
        expires = console_sessions.c.expires_at
        expired = expires <= sa.literal(now, type_=expires.type)
        with self._write(quiet=True) as conn:
            conn.execute(sa.delete(console_sessions).where(expired))
            if replaces:
                conn.execute(
                    sa.delete(console_sessions).where(console_sessions.c.token_hash == replaces)
                )
            conn.execute(sa.insert(console_sessions).values(values))

    def get_console_session(self, token_hash: str, now: datetime) -> ConsoleSession | None:
        """The live session with that token hash, or None (also when it has expired)."""
        query = (
            sa.select(console_sessions, console_users.c.username)
            .join(console_users, console_users.c.id == console_sessions.c.user_id)
            .where(console_sessions.c.token_hash == token_hash)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at <= now:
            return None
        return ConsoleSession(
            row.token_hash,
            row.user_id,
            row.username,
            row.cloud_id,
            row.csrf_token,
            dict(row.inspect or {}),
            row.expires_at,
        )

    def delete_console_session(self, token_hash: str) -> None:
        """End a session (nothing happens if it is gone already)."""
        with self._write(quiet=True) as conn:
            conn.execute(
                sa.delete(console_sessions).where(console_sessions.c.token_hash == token_hash)
            )

    def set_console_inspect(self, token_hash: str, inspect: dict[str, Any]) -> None:
        """Replace the session's Inspect-mode state (its toggle and recent calls)."""
        with self._write(quiet=True) as conn:
            conn.execute(
                sa.update(console_sessions)
                .where(console_sessions.c.token_hash == token_hash)
                .values(inspect=inspect)
            )

    # -- browsing ------------------------------------------------------------------------
    def list_folder_assets(
        self, cloud_id: int, folder: str, *, max_results: int = 50, cursor: str | None = None
    ) -> Page:
        """The assets directly in ``folder`` ("" for the root), every resource type and type,
        by public id; keyset-paginated like every listing (fast at any depth)."""
        prefix = f"{folder}/" if folder else ""
        query = sa.select(assets).where(
            assets.c.cloud_id == cloud_id,
            ~assets.c.public_id.like(_like_escape(prefix) + "%/%", escape="\\"),
        )
        if prefix:
            query = query.where(prefix_condition(assets.c.public_id, prefix))
        if cursor:
            after = decode_cursor(cursor, "console_folder", (str, int))
            query = query.where(_after([assets.c.public_id, assets.c.id], after, False))
        limit = clamp_max_results(max_results)
        query = query.order_by(assets.c.public_id, assets.c.id).limit(limit + 1)
        with self._read() as conn:
            rows = conn.execute(query).all()
            kept = rows[:limit]
            items = load_assets(conn, kept)
        next_cursor = None
        if len(rows) > limit:
            last = kept[-1]
            next_cursor = encode_cursor("console_folder", [last.public_id, last.id])
        return Page(items=items, next_cursor=next_cursor)
