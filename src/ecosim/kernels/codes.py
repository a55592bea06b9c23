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

# random streams: one per kind of draw, so no two draws share a key
(
    S_BUILD,
    S_BB_LEAVE,
    S_CONTACT,
    S_STALL,
    S_END,
    S_MERGE,
    S_RECRUIT,
    S_RECRUIT_ORG,
    S_RECRUIT_PARTNER,
    S_CONTACTS,
    S_CONSULTATION,
    S_ENROL_MOTIVATION,
    S_ENROL_HARD,
    S_PLACE,
    S_PLACE_ORDER,
    S_PLACE_CHOICE,
    S_ROTATE,
) = range(17)
