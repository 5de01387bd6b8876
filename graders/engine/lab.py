"""The JupyterLab server of the course, rooted at the nbgrader course directory.

nbgrader's formgrader links to a notebook by its path relative to the course root
(``CourseDirectory.root``, the repository root here) and opens it in the server it
runs in. The server's root must therefore be the course root: a server rooted at
``notebooks/`` cannot serve those paths, and the formgrader refuses to work there.

``make lab`` runs ``python -m cnn_course.graders.engine.lab --root <course root>``;
the tests start the server with the same :func:`lab_command`. The server must run
with the course root as its working directory: the formgrader reads
``nbgrader_config.py`` from there.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Nothing reaches the network: the extension manager lists only what is installed
# (the default one asks PyPI), no update check, no news feed.
OFFLINE_ARGS = (
    "--LabApp.extension_manager=readonly",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
)


def lab_command(course_root: str | os.PathLike, port: int | None = None, token: str | None = None,
                *, ip: str | None = None, open_browser: bool = True, allow_root: bool | None = None,
                python: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The argv of a JupyterLab server whose root is ``course_root`` (run it with cwd=course_root).

    ``token=None`` keeps Jupyter's own (a random token printed in the URL); ``allow_root=None``
    allows running as root only when the current user is root; ``extra`` is appended as is.
    """
    root = Path(course_root).resolve()
    argv = [python or sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
            *OFFLINE_ARGS]
    if port is not None:
        argv.append(f"--ServerApp.port={int(port)}")
    if ip is not None:
        argv.append(f"--ServerApp.ip={ip}")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        argv.append("--no-browser")
    if allow_root is None:
        allow_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if allow_root:
        argv.append("--allow-root")
    argv.extend(extra)
    return argv


def lab_env(python: str | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: ``base`` (default ``os.environ``) with the Python's bin folder
    first on PATH (the formgrader runs ``alembic`` from there to open the gradebook)."""
    env = dict(os.environ if base is None else base)
    bin_dir = str(Path(python or sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cnn_course.graders.engine.lab",
        description="JupyterLab with the formgrader, rooted at the course directory. "
                    "Other options are passed to JupyterLab (e.g. --no-browser, --ip=0.0.0.0).")
    parser.add_argument("--root", default=os.getcwd(),
                        help="the course root (default: the current directory)")
    parser.add_argument("--port", type=int, default=None,
                        help="the port (default: Jupyter's, 8888)")
    args, extra = parser.parse_known_args(argv)
    root = Path(args.root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        parser.error(f"{root} is not a course root: it has no nbgrader_config.py")
    command = lab_command(root, args.port, extra=extra)
    os.chdir(root)
    sys.stdout.flush()
    os.execve(command[0], command, lab_env())


if __name__ == "__main__":
    main()
