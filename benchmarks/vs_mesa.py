"""Item 1: the whole model's learner-steps per second against an idiomatic Mesa implementation of the same model.

The peer (``benchmarks.mesa_peer.PeerModel``) has one Mesa agent per learner, school,
company and partnership. Both run the same scenario and seed from month 0 over the same
months, alternately, a fresh model each repeat; the build is not timed. The peer is slow at
100,000 learners, so the larger sizes time fewer months (for both).
"""

from statistics import median

from benchmarks.common import model_of, sized_scenario, steps_seconds

SIZES = ((1_000, 120), (10_000, 36), (100_000, 12))
"""(learners, months timed) of a full run."""
QUICK_SIZES = ((1_000, 12), (10_000, 3))


def peer_model() -> tuple[type | None, str | None]:
    """The peer's model class, or None and why it is missing."""
    try:
        from benchmarks.mesa_peer import PeerModel
    except ImportError as exc:
        return None, f"benchmarks.mesa_peer is not importable ({exc}): the Mesa comparison was not measured"
    return PeerModel, None


def measure(quick: bool) -> dict:
    """Learner-steps per second of both implementations per size, and their ratio (`mesa_ratio`: the largest size)."""
    PeerModel, missing = peer_model()
    if PeerModel is None:
        return {"mesa_ratio": None, "detail": {"missing": missing}}
    repeats = 2 if quick else 3
    rows = []
    for learners, months in QUICK_SIZES if quick else SIZES:
        scenario = sized_scenario(learners)
        model_of(scenario).step()  # warm-up of both, untimed
        PeerModel(scenario, scenario.seed).step()
        ours, theirs = [], []
        for _ in range(repeats):
            model = model_of(scenario)
            ours.append(steps_seconds(model, months))
            peer = PeerModel(scenario, scenario.seed)
            theirs.append(steps_seconds(peer, months))
        ecosim_rate = model.world.learners.n * months / median(ours)
        mesa_rate = peer.learner_count * months / median(theirs)
        rows.append(
            {
                "learners": model.world.learners.n,
                "peer_learners": peer.learner_count,
                "months": months,
                "ecosim_seconds": ours,
                "mesa_seconds": theirs,
                "ecosim_learner_steps_per_s": ecosim_rate,
                "mesa_learner_steps_per_s": mesa_rate,
                "ratio": ecosim_rate / mesa_rate,
            }
        )
    return {
        "mesa_ratio": rows[-1]["ratio"],
        "detail": {
            "sizes": rows,
            "repeats": repeats,
            "note": "both implementations over the same months from month 0 (fewer at larger sizes), "
            "alternating, build not timed; medians of the repeats",
        },
    }
