"""What the tree checks (check_layers.py, check_backends.py) share: the command line
and the self-test that runs a check on a tree made for it."""
import subprocess
import sys
from pathlib import Path


def write_tree(root, files):
    """Writes {relative path: text} under root."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def expect_failure(name, script, root, expected, passed):
    """Runs `script root`; it must exit 1 printing exactly `expected` then a summary line."""
    run = subprocess.run([sys.executable, script, str(root)], capture_output=True, text=True)
    if run.returncode != 1 or run.stdout.splitlines()[:-1] != expected:
        print(f"{name} self-test FAILED: expected exit 1 and\n" + "\n".join(expected))
        print(f"got exit {run.returncode} and\n{run.stdout}{run.stderr}")
        return 1
    print(f"==> {name} self-test: {passed}")
    return 0


def main(argv, check, self_test, failed, passed):
    """`script [ROOT]` prints check(ROOT)'s problems then failed(n) (exit 1) or passed (exit 0);
    `script --self-test` runs self_test()."""
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = Path(argv[1]) if len(argv) > 1 else Path(argv[0]).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(failed(len(problems)))
        return 1
    print(passed)
    return 0
