#!/usr/bin/env python3
"""Prints the figures of one golden case as text, one figure a line, each line led by the case's
name: every KPI of the --json output as the program printed it (numbers are kept as their text,
never re-formatted, so the line moves exactly when the printed figure moves), and for a trace its
column header, its row count and its first and last rows. One figure a line is what makes a
deliberate change to one KPI show as one changed line in `git diff tests/golden/figures.txt`.

usage: golden_figures.py CASE JSON [TRACE_CSV]
"""
import json
import sys


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(f"{prefix}.{key}" if prefix else key, item, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            # A list of named things (tune's methods) is keyed by name, so a method that is
            # added or dropped moves its own lines and not every line after it.
            name = item.get("name") if isinstance(item, dict) else None
            flatten(f"{prefix}[{name if isinstance(name, str) else i}]", item, out)
    else:
        if value is None:
            text = "null"
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        out.append(f"{prefix} {text}")


def main():
    case, json_path = sys.argv[1], sys.argv[2]
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f, parse_float=str, parse_int=str)
    lines = []
    flatten("", doc, lines)
    for line in lines:
        print(f"{case} kpi {line}")
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            rows = f.read().splitlines()
        print(f"{case} columns {rows[0] if rows else ''}")
        print(f"{case} rows {max(len(rows) - 1, 0)}")
        if len(rows) > 1:
            print(f"{case} first {rows[1]}")
            print(f"{case} last {rows[-1]}")


if __name__ == "__main__":
    main()
