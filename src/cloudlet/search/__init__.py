"""The Search API's expression language (transformations.md B2), standard library only.

``parse`` turns a Lucene-like expression into a small syntax tree (``syntax``);
``plan`` checks its fields and values and turns it into typed ``predicates`` that the catalog
compiles to SQL. Every problem is a ``SearchError`` carrying the character position (counted
from 0) where it was found::

    parse("tags=kitten AND bytes>1m")  ->  And((Term("kitten", "tags", "="), Term("1m", ...)))
    plan(tree, now)                    ->  All((Tag("=", "kitten"), Compare("bytes", ">", 1048576)))
"""

from __future__ import annotations

from cloudlet.search.errors import SearchError
from cloudlet.search.parser import parse
from cloudlet.search.plan import plan, plan_folders
from cloudlet.search.syntax import render

__all__ = ["SearchError", "parse", "plan", "plan_folders", "render"]
