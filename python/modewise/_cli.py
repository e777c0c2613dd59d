"""The `modewise` console script of a pip install: runs the CLI binary bundled in the package (modewise/bin/)."""

import os
import sys


def cli_path():
    """The bundled CLI binary's path (setup.py copies the CMake target `modewise` there)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "modewise")


def main():
    path = cli_path()
    if not os.path.exists(path):
        sys.stderr.write("modewise: error: %s: the CLI binary is missing (reinstall the package)\n" % path)
        return 1
    os.execv(path, [sys.argv[0] or path] + sys.argv[1:])  # argv[0]: what the user ran, for --help's usage
