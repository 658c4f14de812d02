# Compiles stdlib sources to .pyc for the web bundle's zip; run by the build Python (the same
# CPython as the target, so the bytecode matches), written by cargo xtask into the build dir:
#
#   python compile_stdlib.py LIST OUT DISPLAY_PREFIX
#
# LIST holds one "SOURCE<TAB>NAME" line per file; each is compiled to OUT/NAME with hash-based
# invalidation (PEP 552: the source's hash, not its mtime) and DISPLAY_PREFIX/NAME as the file
# name tracebacks show, so nothing of the build machine or the time is in the bytes. The caller
# sets PYTHONHASHSEED=0: set and frozenset constants are marshalled in hash order. py_compile
# with CHECKED_HASH writes the PEP 552 header (flags 3, the source hash) itself.
import os
import py_compile
import sys

list_file, out, display_prefix = sys.argv[1:4]
with open(list_file, encoding="utf-8") as f:
    lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
for source, name in lines:
    target = os.path.join(out, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        py_compile.compile(
            source,
            cfile=target,
            dfile=display_prefix + "/" + name[: -len("c")],
            doraise=True,
            optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
    except py_compile.PyCompileError as error:
        sys.exit(f"compile_stdlib: {source} does not compile: {error.msg}")
print(len(lines))
