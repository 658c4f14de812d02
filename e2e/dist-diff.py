#!/usr/bin/env python3
"""Prints the first member that differs between two dist archives (name, kind, sha256)."""
import hashlib
import sys
import tarfile


def members(path):
    found = {}
    with tarfile.open(path, "r:xz") as archive:
        for member in archive:
            digest = ""
            if member.isfile():
                digest = hashlib.sha256(archive.extractfile(member).read()).hexdigest()
            found[member.name] = (member.type, member.mode, member.mtime, digest, member.linkname)
    return found


a, b = members(sys.argv[1]), members(sys.argv[2])
for name in sorted(set(a) | set(b)):
    if a.get(name) != b.get(name):
        print(f"first difference: {name}: {a.get(name)} vs {b.get(name)}")
        break
else:
    print("the same members, archived differently")
