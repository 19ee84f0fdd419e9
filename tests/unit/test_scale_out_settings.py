"""The settings of S3 storage, metrics and access logs: read from the environment, checked
at start with a one-line message."""

from __future__ import annotations

import pytest

from cloudlet.errors import BadRequestError
from cloudlet.settings import load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.storage_url == "" and settings.storage_cache_mb == 2048
    assert settings.metrics is True and settings.access_log_format == "text"


def test_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "CLOUDLET_STORAGE_URL": "s3://bucket/prefix?region=auto",
            "CLOUDLET_STORAGE_CACHE_MB": "100",
            "CLOUDLET_METRICS": "false",
            "CLOUDLET_ACCESS_LOG_FORMAT": "JSON",
        }
    )
    assert settings.storage_url == "s3://bucket/prefix?region=auto"
    assert settings.storage_cache_mb == 100
    assert settings.metrics is False and settings.access_log_format == "json"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLOUDLET_STORAGE_URL": "gs://bucket"}, "must be an s3:// URL"),
        ({"CLOUDLET_STORAGE_URL": "/var/blobs"}, "must be an s3:// URL"),
        ({"CLOUDLET_STORAGE_CACHE_MB": "0"}, "at least 1"),
        ({"CLOUDLET_STORAGE_CACHE_MB": "lots"}, "must be an integer"),
        ({"CLOUDLET_ACCESS_LOG_FORMAT": "xml"}, "text or json"),
    ],
)
def test_bad_values_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        load_settings(env)


def test_a_bad_storage_url_stops_the_start(tmp_path: object) -> None:
    from cloudlet.app import build_storage

    settings = load_settings({"CLOUDLET_STORAGE_URL": "s3://bucket?regoin=eu-west-1"})
    with pytest.raises(BadRequestError, match="unknown option"):
        build_storage(settings)
