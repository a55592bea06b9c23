"""Integer codes shared by kernels, recorder and agents: statuses, causes, events, streams."""

# organisation kinds
SCHOOL = 0
COMPANY = 1

# partnership status
ACTIVE = 0
STALLED = 1
ENDED = 2

# cause of ending: the term of the health target (or the contact shocks) that lost most
CAUSES = ("support", "carrier", "mission", "value", "coordination", "contact")
CAUSE_SUPPORT, CAUSE_CARRIER, CAUSE_MISSION, CAUSE_VALUE, CAUSE_COORDINATION, CAUSE_CONTACT = range(6)

# bridge-builder status and payer
BB_ACTIVE = 0
BB_AFTERCARE = 1
BB_DEPARTED = 2
PROGRAMME = 0
PARTNER = 1

# event kinds
EVENTS = (
    "formed",
    "merged",
    "stalled",
    "reactivated",
    "ended",
    "entered_aftercare",
    "bridge_builder_left",
    "cohort_graduated",
)
EV_FORMED, EV_MERGED, EV_STALLED, EV_REACTIVATED, EV_ENDED, EV_AFTERCARE, EV_BB_LEFT, EV_GRADUATED = range(8)

# Random streams: one per kind of draw, so no two draws share a key. Each id is a fixed
# literal, never a position in a list: adding a stream must not renumber the others (that
# would silently change their draws). tests/test_rng.py pins every id; a new stream takes a
# new number, and a retired number is never reused.
S_BUILD = 0
S_BB_LEAVE = 1
S_CONTACT = 2
S_STALL = 3
S_END = 4
S_MERGE = 5
S_RECRUIT = 6
S_RECRUIT_ORG = 7
S_RECRUIT_PARTNER = 8
S_CONTACTS = 9
S_CONSULTATION = 10
S_ENROL_MOTIVATION = 11
S_ENROL_HARD = 12
S_PLACE = 13
S_PLACE_ORDER = 14
S_PLACE_CHOICE = 15
S_ROTATE = 16
S_REACTIVATE = 17
S_PACE = 18
