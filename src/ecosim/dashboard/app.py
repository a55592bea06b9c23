"""The Dash app over a results root: a URL router, the pages' callbacks, and a local server.

Pages: ``/`` (the folders), ``/explore``, ``/compare``, ``/batch``, ``/sensitivity``; a page
takes ``?batch=NAME`` (or ``?run=NAME`` on Explore) to open a folder under the root. The
server binds 127.0.0.1 unless told otherwise and never runs in debug mode.
"""

import threading
import warnings
from pathlib import Path

from dash import Dash, Input, Output, dcc, html
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as werkzeug_server

from ecosim.dashboard import batch, compare, explore, home, sensitivity
from ecosim.dashboard.data import Results
from ecosim.dashboard.model import Models
from ecosim.dashboard.widgets import message, query

PAGES = {"/": "results", "/explore": "explore", "/compare": "compare", "/batch": "batch", "/sensitivity": "sensitivity"}
PAGE = {"fontFamily": "system-ui, sans-serif", "margin": "0 24px 40px", "maxWidth": "1400px"}
NAV = {"display": "flex", "gap": "20px", "padding": "12px 0", "borderBottom": "1px solid #ddd", "fontSize": "18px"}


def _shell() -> html.Div:
    links = [dcc.Link(label, href=path, id=f"nav-{label}") for path, label in PAGES.items()]
    return html.Div(
        [dcc.Location(id="url"), html.Nav([html.Strong("ecosim"), *links], style=NAV), html.Div(id="page")],
        style=PAGE,
    )


def _preload() -> None:
    """Import the PRIM library (it takes seconds) in the background, so the Sensitivity page does not wait for it.

    Its warning about an optional parallel back-end the dashboard does not use is silenced by a
    filter on that message alone (catch_warnings would race with other threads).
    """
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    import ema_workbench.analysis.prim  # noqa: F401


def create_app(results_root: Path) -> Dash:
    """The dashboard over `results_root`; starts loading the compiled model in the background."""
    results = Results(results_root)
    models = Models(results)
    app = Dash(__name__, title="ecosim dashboard", update_title=None, serve_locally=True)
    app.layout = _shell()

    def page(path: str, search: str | None) -> html.Div:
        if path == "/explore":
            return explore.layout(results, models, query(search, "run"))
        if path in ("/compare", "/batch", "/sensitivity"):
            module = {"/compare": compare, "/batch": batch, "/sensitivity": sensitivity}[path]
            return module.layout(results, query(search, "batch"))
        if path == "/":
            return home.layout(results)
        return html.Div(message(f"page: expected one of {', '.join(PAGES)}, found {path!r}"))

    app.validation_layout = html.Div([_shell(), *(page(p, None) for p in PAGES)])

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(path, search):
        try:
            return page(path or "/", search)
        except (ValueError, OSError) as exc:
            return message(exc)

    explore.register(app, results, models)
    compare.register(app, results)
    batch.register(app, results)
    sensitivity.register(app, results)
    models.start_warm_up()
    threading.Thread(target=_preload, name="ecosim-dashboard-preload", daemon=True).start()
    return app


def make_server(results_root: Path, host: str = "127.0.0.1", port: int = 8050) -> BaseWSGIServer:
    """A threaded local server of the dashboard (port 0: any free port; its `port` says which).

    Requests are not logged one by one (no access log on the terminal); errors still are.
    """
    return werkzeug_server(host, port, create_app(results_root).server, threaded=True, request_handler=_Quiet)


class _Quiet(WSGIRequestHandler):
    """werkzeug's request handler without the access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: D102
        pass


def serve(results_root: Path, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Serve the dashboard over `results_root` until Ctrl-C (never in debug mode)."""
    run_forever(make_server(results_root, host, port))


def run_forever(server) -> None:
    """Serve requests until Ctrl-C, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
