#!/usr/bin/env python3
"""Checks the include graph of src/ and include/strata/ against the layers of docs/architecture.md.

The layer table there (after the `<!-- layers: ... -->` marker) gives each layer its number, its
public headers (names under include/strata/; `detail/` means every header in that folder) and its
source folders (a `*` in a folder stands for one folder name: `src/backend/*/driver/` is every
backend's driver code). Every file of src/ and include/strata/ must belong to a layer, and each of its
`#include "..."` / `#include <strata/...>` may name a file of its own layer or of an earlier one,
never a later one; public headers never include a file of src/; every header the table names
exists. A violation is printed as `file:line: ...` naming the include, and the exit status is 1.

    scripts/check_layers.py [ROOT]      check the tree at ROOT (default: this checkout)
    scripts/check_layers.py --self-test check that a tree with bad includes fails, naming them
"""
import fnmatch
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tree_check import expect_failure, main, write_tree

DOC = Path("docs/architecture.md")
MARKER = "<!-- layers:"
INCLUDE = re.compile(r'^\s*#\s*include\s*(?:"([^"]+)"|<(strata/[^>]+)>)')
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".ipp"}


class Layer:
    def __init__(self, number, name):
        self.number, self.name = number, name

    def __str__(self):
        return f"{self.name} (layer {self.number})"


def read_layers(root):
    """{header name or 'detail/': Layer}, {source folder: Layer} from the doc's table."""
    lines = (root / DOC).read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(MARKER)), None)
    if start is None:
        sys.exit(f"{DOC}: no '{MARKER}' table of layers")
    headers, folders = {}, {}
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if headers:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not cells[0].isdigit():
            continue  # the heading and its --- row
        layer = Layer(int(cells[0]), cells[1])
        for name in re.findall(r"`([^`]+)`", cells[2]):
            headers[name] = layer
        for folder in re.findall(r"`([^`]+)`", cells[3]):
            folders[folder.rstrip("/")] = layer
    return headers, folders


def layer_of(path, headers, folders):
    """The layer of a file given relative to the root, or None."""
    parts = path.parts
    if parts[:2] == ("include", "strata"):
        name = "/".join(parts[2:])
        if name in headers:
            return headers[name]
        if len(parts) > 3 and parts[2] + "/" in headers:
            return headers[parts[2] + "/"]
        return None
    for depth in range(len(parts) - 1, 0, -1):  # the longest folder of the table that holds the file
        folder = "/".join(parts[:depth])
        if folder in folders:
            return folders[folder]
        for pattern, layer in folders.items():  # src/backend/*/dialect: one backend's code of a layer
            if "*" in pattern and fnmatch.fnmatchcase(folder, pattern) and folder.count("/") == pattern.count("/"):
                return layer
    return None


def resolve(root, including, target):
    """The file an include names, relative to root; None for a file outside the tree (a library's)."""
    if target.startswith("strata/"):
        return Path("include") / target  # it may be generated in the build tree: its name decides
    for candidate in (root / "src" / target, root / including.parent / target):
        if candidate.is_file():
            return candidate.resolve().relative_to(root.resolve())
    return None


def check(root):
    headers, folders = read_layers(root)
    files = sorted(
        p.relative_to(root)
        for top in ("src", "include/strata")
        for p in (root / top).rglob("*")
        if p.suffix in SOURCE_SUFFIXES and p.is_file()
    )
    problems = [
        f"{DOC}: lists include/strata/{name}, which does not exist"
        for name in headers
        if not name.endswith("/") and not (root / "include" / "strata" / name).is_file()
    ]
    for path in files:
        layer = layer_of(path, headers, folders)
        if layer is None:
            problems.append(f"{path}: belongs to no layer: add it to the table in {DOC}")
            continue
        for number, line in enumerate((root / path).read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1) or match.group(2)
            included = resolve(root, path, target)
            if included is None:
                continue
            where = f"{path}:{number}: #include \"{target}\""
            if path.parts[0] == "include" and included.parts[0] == "src":
                problems.append(f"{where}: a public header includes a file of src/")
                continue
            target_layer = layer_of(included, headers, folders)
            if target_layer is None:
                problems.append(f"{where}: {included} belongs to no layer: add it to the table in {DOC}")
            elif target_layer.number > layer.number:
                problems.append(f"{where}: {layer} includes {target_layer}, a later layer")
    return problems


def self_test():
    """A tree with the real table, bad files and a missing header must fail, naming exactly those."""
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        shutil.copy(here / DOC, root / DOC)
        headers, folders = read_layers(root)
        files = {f"include/strata/{name}": "" for name in headers if name not in ("detail/", "url.hpp")}
        files |= {
            "include/strata/session.hpp": '#include "strata/error.hpp"\n',
            "include/strata/dialect.hpp": '#include <vector>\n#include "strata/session.hpp"\n',
            "include/strata/unlisted.hpp": "",
            "src/orm/orm_internal.hpp": '#include "strata/session.hpp"\n',
            "src/driver/connection.cpp": '#include "strata/dialect.hpp"\n#include "orm/orm_internal.hpp"\n',
            "include/strata/repr.hpp": '#include "orm/orm_internal.hpp"\n',
            "src/backend/x/driver/connection.cpp": '#include "strata/dialect.hpp"\n#include "backend/x/migrate/rules.hpp"\n',
            "src/backend/x/migrate/rules.hpp": '#include "backend/x/driver/driver.hpp"\n',
            "src/backend/x/driver/driver.hpp": "",
            "src/backend/x/backend.cpp": '#include "backend/x/migrate/rules.hpp"\n#include "orm/orm_internal.hpp"\n',
        }
        write_tree(root, files)
        dialect, driver, orm = headers["dialect.hpp"], folders["src/driver"], headers["session.hpp"]
        migrate = headers["migrate.hpp"]
        expected = [
            f"{DOC}: lists include/strata/url.hpp, which does not exist",
            f'include/strata/dialect.hpp:2: #include "strata/session.hpp": {dialect} includes {orm}, a later layer',
            'include/strata/repr.hpp:1: #include "orm/orm_internal.hpp": a public header includes a file of src/',
            f"include/strata/unlisted.hpp: belongs to no layer: add it to the table in {DOC}",
            f'src/backend/x/driver/connection.cpp:2: #include "backend/x/migrate/rules.hpp": {driver} includes {migrate}, a later layer',
            f'src/driver/connection.cpp:2: #include "orm/orm_internal.hpp": {driver} includes {orm}, a later layer',
        ]
        return expect_failure("check_layers", __file__, root, expected,
                              "includes against the layers fail, naming the include")


if __name__ == "__main__":
    sys.exit(main(sys.argv, check, self_test,
                  lambda n: f"==> FAILED: {n} problem(s) with the layers of {DOC} (scripts/check_layers.py)",
                  f"==> includes of src/ and include/strata/ follow the layers of {DOC}"))
