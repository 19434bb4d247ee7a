"""`python -m ebrl.results docs/results/FOLDER [--check]`: rewrite the generated parts of the READMEs under FOLDER
from its committed files, or (--check) list what differs."""

import argparse
import sys
from pathlib import Path

from ebrl.results import problems, readmes, render
from ebrl.results.files import results_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ebrl.results", description=__doc__)
    parser.add_argument("folder", type=Path, help="a folder of docs/results (or docs/results itself)")
    parser.add_argument("--check", action="store_true", help="list what differs from the files; write nothing")
    args = parser.parse_args(argv)
    folder = args.folder.resolve()
    root = results_root(folder)
    found = []
    for readme in readmes(folder) if folder.is_dir() else [folder]:
        if args.check:
            found += problems(readme, root)
        else:
            text = render(readme, root)
            if text != readme.read_text():
                readme.write_text(text)
                print(f"rewrote {readme}")
    if found:
        print("\n".join(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
