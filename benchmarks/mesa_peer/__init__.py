"""An independent, idiomatic-Mesa implementation of docs/ODD.md: the peer the benchmark compares ecosim with."""

from benchmarks.mesa_peer.model import PeerModel, run_peer

__all__ = ["PeerModel", "run_peer"]
