#!/usr/bin/env python3
"""Every relative link in the project's Markdown leads somewhere: the file exists, and a
`#fragment` names a heading of that file (GitHub's anchors). The README is a path into docs/, so
a section moved between pages must take its links along; this test says which link broke.

usage: test_doc_links.py SOURCE_DIR
"""
import os
import re
import sys

SRC = os.path.abspath(sys.argv[1])
# Directories whose Markdown is not the project's own documentation.
SKIP_DIRS = {".git", "build", "node_modules", "fuzz"}
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def markdown_files():
    for root, dirs, files in os.walk(SRC):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
        for name in files:
            if name.endswith(".md"):
                yield os.path.join(root, name)


def prose(text):
    """The lines outside fenced code blocks, with inline code removed, and their numbers."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield n, re.sub(r"`[^`]*`", "", line)


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        found, seen = set(), {}
        fenced = False
        for line in open(path, encoding="utf-8").read().splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            m = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                base = slug(m.group(1))
                k = seen.get(base, 0)
                found.add(base if k == 0 else "%s-%d" % (base, k))
                seen[base] = k + 1
        cache[path] = found
    return cache[path]


def main():
    checked = broken = 0
    for path in sorted(markdown_files()):
        text = open(path, encoding="utf-8").read()
        rel = os.path.relpath(path, SRC)
        for n, line in prose(text):
            for target in LINK.findall(line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                    continue
                checked += 1
                file_part, _, frag = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                    if file_part else path
                why = None
                if not os.path.exists(dest):
                    why = "no such file"
                elif frag and dest.endswith(".md") and frag not in anchors(dest):
                    why = "no heading with anchor #%s" % frag
                if why:
                    broken += 1
                    print("FAIL: %s:%d: %s: %s" % (rel, n, target, why))
    print("doc links: %d checked, %d broken" % (checked, broken))
    return 1 if broken or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
