"""Build InfluxQL statements with every name and value quoted.

Identifiers are double-quoted and string literals single-quoted, with the
backslash and the quote escaped, so a measurement called ``a "b", c`` or a
tag value holding ``'`` cannot change the statement. Times are integer
nanoseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Sequence

INFLUX_FUNCTIONS = {"mean": "mean", "min": "min", "max": "max", "last": "last"}


def ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tag_conditions(tags: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{ident(key)} = {literal(value)}" for key, value in tags]


def select(measurement: str, fields: Sequence[str], *, start_ns: int, end_ns: int,
           tags: Sequence[tuple[str, str]], every_ns: int | None, aggregate: str) -> str:
    """The SELECT for a query; column ``c<i>`` holds ``fields[i]``."""
    if every_ns is None:
        columns = [f"{ident(f)}::field AS \"c{i}\"" for i, f in enumerate(fields)]
    else:
        fn = INFLUX_FUNCTIONS[aggregate]
        columns = [f"{fn}({ident(f)}::field) AS \"c{i}\"" for i, f in enumerate(fields)]
    where = [f"time >= {start_ns}", f"time < {end_ns}", *tag_conditions(tags)]
    statement = f"SELECT {', '.join(columns)} FROM {ident(measurement)} WHERE {' AND '.join(where)}"
    if every_ns is not None:
        statement += f" GROUP BY time({every_ns}ns) fill(none)"
    return statement


def show_measurements(tags: Sequence[tuple[str, str]]) -> str:
    conditions = tag_conditions(tags)
    return "SHOW MEASUREMENTS" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")


def create_database(name: str) -> str:
    return f"CREATE DATABASE {ident(name)}"
