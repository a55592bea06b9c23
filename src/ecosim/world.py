"""Array state: tables of named, preallocated NumPy columns (structure of arrays).

Generic on purpose: a Table knows columns, dtypes and a used length, nothing of the
domain. Kernels receive a table as its view (:meth:`Table.view`): a namedtuple of its
columns and `used`, the one-element count of used rows, which numba types field by
field, so a kernel reads ``P.health[i]`` and a swapped argument is a type error, not a
silent mix-up. A table that can grow (partnerships, events) grows its capacity by half between
steps, never inside one, and hands out a new view when it does.
"""

from collections import namedtuple
from collections.abc import Iterator, Mapping

import numpy as np

USED = "used"
"""The field of a view holding the used-row count (int64[1]; kernels that append rows advance it)."""


def view_type(name: str, columns: Mapping[str, tuple[str, tuple[int, ...]]], module: str) -> type:
    """The namedtuple class of a table's views: one field per column, then `used`.

    Bind it at module level of `module` under `name` (as ``build.py`` does): numba's cache and
    pickle find the class by that name, and one class per column spec gives one compiled
    kernel per spec.
    """
    return namedtuple(name, [*columns, USED], module=module)


class Table:
    """Named columns of equal length `capacity`, of which the first `n` rows are used."""

    def __init__(
        self,
        columns: Mapping[str, tuple[str, tuple[int, ...]]],
        capacity: int,
        fill: Mapping[str, object] | None = None,
        view: type | None = None,
    ):
        """Allocate every column; `columns` maps name -> (dtype, trailing shape).

        `view` is the class of its views, made once per column spec by :func:`view_type`
        (default: a class of its own, which works uncached but cannot be pickled).
        """
        self._spec = dict(columns)
        self._fill = dict(fill or {})
        self._used = np.zeros(1, np.int64)
        self._view_type = view_type("TableView", columns, __name__) if view is None else view
        if self._view_type._fields != (*self._spec, USED):
            raise ValueError(f"view {self._view_type.__name__} does not have the fields {[*self._spec, USED]}")
        self._view = None
        self._cols: dict[str, np.ndarray] = {}
        for name, (dtype, shape) in self._spec.items():
            self._cols[name] = np.full((capacity, *shape), self._fill.get(name, 0), dtype=dtype)

    @property
    def n(self) -> int:
        """Rows used (the first `n` of `capacity`); shared with the kernels through the view's `used`."""
        return int(self._used[0])

    @n.setter
    def n(self, rows: int) -> None:
        self._used[0] = rows

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return len(next(iter(self._cols.values())))

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.__dict__.get("_cols", {}):
            raise AttributeError(f"column {name!r} is updated in place, never rebound")
        super().__setattr__(name, value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def reserve(self, rows: int) -> None:
        """Make room for `rows` more rows, growing the capacity by half as often as needed (amortised O(1) a row)."""
        need = self.n + rows
        if need <= self.capacity:
            return
        new = max(need, self.capacity + self.capacity // 2)
        for name, old in self._cols.items():
            grown = np.full((new, *old.shape[1:]), self._fill.get(name, 0), dtype=old.dtype)
            grown[: len(old)] = old
            self._cols[name] = grown
        self._view = None  # the old view holds the old arrays

    def view(self) -> tuple:
        """The columns as the kernels take them: a namedtuple of the current arrays and `used`.

        Made once and kept until :meth:`reserve` reallocates; writing through it writes the table.
        """
        if self._view is None:
            self._view = self._view_type(**self._cols, **{USED: self._used})
        return self._view

    def __getstate__(self) -> dict:
        """Pickled without the cached view (it is remade from the columns on first use)."""
        return {**self.__dict__, "_view": None}

    def used(self) -> dict[str, np.ndarray]:
        """Copies of the used rows of every column."""
        return {name: col[: self.n].copy() for name, col in self._cols.items()}

    def nbytes(self) -> int:
        """Bytes held by all columns."""
        return sum(col.nbytes for col in self._cols.values())
