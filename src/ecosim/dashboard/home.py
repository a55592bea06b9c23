"""The home page: every results folder under the root, read from its manifest, with links to the pages that show it."""

from urllib.parse import quote

from dash import dcc, html

from ecosim.dashboard.data import Folder, Results
from ecosim.dashboard.widgets import NOTE, message


def _links(folder: Folder) -> list:
    name = quote(folder.name)
    if folder.kind == "run":
        return [dcc.Link("explore", href=f"/explore?run={name}")]
    pages = ("compare", "batch", "sensitivity")
    links: list = []
    for page in pages:
        links += [dcc.Link(page, href=f"/{page}?batch={name}"), " "]
    return links[:-1]


def layout(results: Results) -> html.Div:
    """A table of the folders: name, what it is (from the manifest), tables recorded, links."""
    folders = results.folders()
    head = html.Tr([html.Th(h) for h in ("folder", "what", "recorded", "open")])
    rows = [
        html.Tr([html.Td(f.name), html.Td(f.describe()), html.Td(", ".join(f.recorded) or "outcomes"),
                 html.Td(_links(f))])
        for f in folders
    ]
    empty = message(f"{results.root}: expected results folders (ecosim batch or ecosim run), found none")
    return html.Div(
        [
            html.H2("Results"),
            html.P(f"Folders under {results.root}", style=NOTE),
            html.Table([head, *rows], id="home-folders", style={"borderSpacing": "16px 4px"}) if folders else empty,
        ]
    )
