"""Where numba keeps compiled kernels: a folder keyed by the hash of the kernel sources.

Numba invalidates a cached function only when its own file changes, not when a helper it
inlines (the keyed RNG, clamp, union-find, the integer codes) changes in another module; a
stale cache would make the compiled engine disagree with the Python one. Keying the cache
folder by the hash of every source file the kernels compile from makes any such edit start
a fresh cache. The key is what is compiled: the kernel and RNG sources and the names and
order of the parameters the kernels receive (a plain tuple, read by position once compiled),
not, say, a parameter's description. Must run before the first ``@njit(cache=True)``
decoration: ``ecosim.rng`` and ``ecosim.kernels`` call it first. A user's
``NUMBA_CACHE_DIR`` is kept as the parent folder.
"""

import ast
import functools
import hashlib
import os
from pathlib import Path

import numba

PACKAGE = Path(__file__).parent
COMPILED_SOURCES = ("rng.py", "kernels/*.py")


def source_hash(patterns: tuple[str, ...] = COMPILED_SOURCES) -> str:
    """SHA-256 (first 16 hex digits) of the package's files matching `patterns` (default: the kernels' sources)."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def parameter_names() -> list[str]:
    """The fields of ``Parameters`` in order, read from its source (no pydantic import: kernels stay light)."""
    tree = ast.parse((PACKAGE / "parameters.py").read_text())
    body = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Parameters").body
    return [node.target.id for node in body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)]


def compiled_hash() -> str:
    """The cache key: the compiled sources and the parameter layout the kernels read."""
    digest = hashlib.sha256(source_hash().encode())
    digest.update(",".join(parameter_names()).encode())
    return digest.hexdigest()[:16]


@functools.cache
def use_keyed_cache_dir() -> Path:
    """Point numba's cache at <base>/ecosim-<compiled hash> and return that folder (once per process)."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "ecosim", "numba"
    )
    folder = Path(base) / f"ecosim-{compiled_hash()}"
    numba.config.CACHE_DIR = str(folder)
    return folder


def is_warm(folder: Path | None = None) -> bool:
    """Whether compiled kernels are already cached (a first run compiles them, which takes a while)."""
    folder = Path(numba.config.CACHE_DIR) if folder is None else folder
    return folder.is_dir() and any(folder.rglob("*.nbi"))
