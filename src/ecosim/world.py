"""Array state: tables of named, preallocated NumPy columns (structure of arrays).

Generic on purpose: a Table knows columns, dtypes and a used length, nothing of the
domain. Kernels receive the columns themselves and update them in place; a table that
can grow (partnerships, events) doubles its capacity between steps, never inside one.
"""

from collections.abc import Iterator, Mapping

import numpy as np


class Table:
    """Named columns of equal length `capacity`, of which the first `n` rows are used."""

    def __init__(
        self,
        columns: Mapping[str, tuple[str, tuple[int, ...]]],
        capacity: int,
        fill: Mapping[str, object] | None = None,
    ):
        """Allocate every column; `columns` maps name -> (dtype, trailing shape)."""
        self._spec = dict(columns)
        self._fill = dict(fill or {})
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}
        for name, (dtype, shape) in self._spec.items():
            self._cols[name] = np.full((capacity, *shape), self._fill.get(name, 0), dtype=dtype)

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
        """Make room for `rows` more rows, doubling the capacity as often as needed."""
        need = self.n + rows
        if need <= self.capacity:
            return
        new = max(need, 2 * self.capacity)
        for name, old in self._cols.items():
            grown = np.full((new, *old.shape[1:]), self._fill.get(name, 0), dtype=old.dtype)
            grown[: len(old)] = old
            self._cols[name] = grown

    def used(self) -> dict[str, np.ndarray]:
        """Copies of the used rows of every column."""
        return {name: col[: self.n].copy() for name, col in self._cols.items()}

    def nbytes(self) -> int:
        """Bytes held by all columns."""
        return sum(col.nbytes for col in self._cols.values())
