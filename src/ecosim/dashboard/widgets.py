"""Pieces every page uses: labelled controls, the batch chooser, blank figures, and errors shown as one line."""

import functools
import textwrap
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import dcc, html

from ecosim.dashboard.data import DashboardError, Results

ROW = {"display": "flex", "flexWrap": "wrap", "gap": "16px", "alignItems": "flex-end", "margin": "8px 0"}
ERROR = {"color": "#9b1c1c", "background": "#fdecec", "border": "1px solid #f3b5b5", "padding": "8px 12px"}
NOTE = {"color": "#444", "margin": "6px 0"}


def field(label: str, control: Any, width: str = "260px") -> html.Div:
    """A control with its label above it."""
    title = html.Label(label, style={"fontWeight": "600", "display": "block"})
    return html.Div([title, control], style={"width": width})


def message(error: BaseException | str | None) -> html.Div | str:
    """A user mistake as one line in the page ('' when there is none)."""
    if error is None:
        return ""
    text = " ".join(str(error).split())
    return html.Div(text, role="alert", className="dashboard-error", style=ERROR)


def blank(text: str = "") -> go.Figure:
    """An empty figure that says why it is empty."""
    fig = go.Figure()
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, height=320)
    if text:
        fig.add_annotation(text="<br>".join(textwrap.wrap(text, 100)), showarrow=False, font={"size": 14})
    return fig


def guarded(*fallback: Any) -> Callable:
    """Make a callback show a user mistake in its last output, with `fallback` in the outputs before it.

    Mistakes are ValueErrors (DashboardError, analysis and scenario errors, Arrow's invalid data)
    and OSErrors (a file that went away); anything else is a bug and propagates.
    """

    def wrap(callback: Callable) -> Callable:
        @functools.wraps(callback)
        def run(*args: Any) -> Any:
            try:
                return callback(*args)
            except (ValueError, OSError) as exc:
                return (*fallback, message(exc))

        return run

    return wrap


def drawn(callback: Callable) -> Callable:
    """Make a figure callback draw a user mistake as a blank figure that says it (see :func:`guarded`)."""

    @functools.wraps(callback)
    def run(*args: Any) -> Any:
        try:
            return callback(*args)
        except (ValueError, OSError) as exc:
            return blank(" ".join(str(exc).split()))

    return run


def query(search: str | None, key: str) -> str | None:
    """One parameter of a URL's query string ('?batch=strategies'), or None."""
    values = parse_qs((search or "").lstrip("?")).get(key)
    return values[0] if values else None


def batch_chooser(results: Results, id_: str, wanted: str | None) -> tuple[dcc.Dropdown, html.Div | str]:
    """A dropdown of the batches under the root, preselecting `wanted` if it is one (else saying why not)."""
    batches = results.batches()
    options = [{"label": f"{b.name} ({b.describe()})", "value": b.name} for b in batches]
    value, problem = None, None
    if wanted is not None:
        try:
            value = results.folder(wanted).name
        except DashboardError as exc:
            problem = exc
    elif options:
        value = options[0]["value"]
    if not options and problem is None:
        problem = DashboardError(f"results root {results.root}: expected batch folders (ecosim batch), found none")
    return dcc.Dropdown(id=id_, options=options, value=value, clearable=False), message(problem)
