"""`ecosim dashboard`: a Dash app over a folder of results (batches and single runs).

:func:`create_app` builds the app, :func:`serve` runs it on 127.0.0.1. One module per page
(:mod:`~ecosim.dashboard.explore`, :mod:`~ecosim.dashboard.compare`,
:mod:`~ecosim.dashboard.batch`, :mod:`~ecosim.dashboard.sensitivity`, and the folder list
:mod:`~ecosim.dashboard.home`); :mod:`~ecosim.dashboard.data` reads and guards the results,
:mod:`~ecosim.dashboard.model` runs the model for Explore.
"""

from ecosim.dashboard.app import create_app, make_server, serve

__all__ = ["create_app", "make_server", "serve"]
