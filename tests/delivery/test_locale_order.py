"""The Node SDK's key order (``localeCompare``), as observed from Node 20 with the en-US locale."""

from __future__ import annotations

import string

from cloudlet.delivery.signatures import locale_sort_key, string_to_sign

# [...printable ASCII].sort((a, b) => a.localeCompare(b)).join("") in Node 20
NODE_ASCII_ORDER = (
    "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789"
    "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"
)


def test_single_characters_sort_as_node_does() -> None:
    printable = [c for c in string.printable if c.isprintable() and c != " "]
    assert "".join(sorted(printable, key=locale_sort_key)) == NODE_ASCII_ORDER


def test_names_sort_as_node_does() -> None:
    names = ["a1", "a_1", "Bz", "ab", "public_id", "timestamp", "b", "B", "a", "A", "aB", "Ab"]
    names += ["a-b", "a_b", "a0"]
    node = ["a", "A", "a_1", "a_b", "a-b", "a0", "a1", "ab", "aB", "Ab", "b", "B", "Bz"]
    node += ["public_id", "timestamp"]
    assert sorted(names, key=locale_sort_key) == node


def test_string_to_sign_in_node_order() -> None:
    params = {"Bz": "z", "a1": "x", "a_1": "y", "timestamp": "1"}
    assert string_to_sign(params) == "Bz=z&a1=x&a_1=y&timestamp=1"
    assert string_to_sign(params, node_order=True) == "a_1=y&a1=x&Bz=z&timestamp=1"
