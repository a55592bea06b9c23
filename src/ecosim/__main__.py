"""The `ecosim` command (and ``python -m ecosim``): the CLI, with Ctrl-C answered in one line at any moment.

A Ctrl-C while the command starts (importing NumPy, numba or pandas, loading compiled kernels)
arrives before the CLI can catch it, sometimes wrapped in another exception by numba; here it
still becomes ``interrupted: nothing was written`` and exit code 130.
"""

import sys

INTERRUPTED = 130  # the shell's code for a program stopped by Ctrl-C


def interrupted(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from or during, is a KeyboardInterrupt."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def main() -> None:
    """Run the command line."""
    try:
        from ecosim.cli import app

        app()
    except BaseException as exc:  # noqa: BLE001 - only a Ctrl-C is answered here; everything else goes on up
        if not interrupted(exc) or isinstance(exc, SystemExit):
            raise
        sys.stderr.write("interrupted: nothing was written\n")
        sys.exit(INTERRUPTED)


if __name__ == "__main__":
    main()
