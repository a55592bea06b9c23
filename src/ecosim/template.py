"""The example scenario `ecosim new` writes: every part of a scenario file, commented."""

TEMPLATE = """\
# A scenario of your own, written by `ecosim new`. Check it with `ecosim check FILE`,
# run it with `ecosim run FILE`. Every key is described by `ecosim schema` and in the
# project's docs/ODD.md (parameters: its "Parameters" table).
name = "{name}"          # letters, digits and dashes: it names the results folder
description = "One region: 3 schools, 4 companies, 2 starting pairs (edit me)"
seed = 1                 # master seed of the keyed random numbers
horizon = 120            # months simulated
# reference_month = 36   # outcome reference month; default: parameters.funding_end

# The sector list: schools train for some of them, a company works in one.
sectors = ["care", "construction", "technology"]

[parameters]
# Any parameter left out takes its default. The four below are the values the shipped
# baseline was calibrated to (keep them unless you recalibrate).
funding_end = 36            # T: first month without programme funding
departure_shock = 0.925     # sigma
stall_slope = 0.5           # eta1
stalled_end = 0.096         # zeta
consolidation_rate = 0.02   # kappa

# Strategies: named bundles of parameter overrides; run one with --strategy NAME.
[strategies.gradual-handover]
description = "bridge-builders make themselves dispensable: the team takes over ownership faster"
set = {{ handover_rate = 0.06 }}

[strategies.aftercare]
description = "bridge-builders stay involved after the funding at a decaying intensity"
set = {{ aftercare = true }}

# A region is either listed (below) or generated from counts:
#   [[regions]]
#   name = "my-generated-region"
#   generate = {{ schools = 20, companies = 30, partnerships = 20 }}
[[regions]]
name = "my-region"
schools = [
  {{ name = "school-a", sectors = ["care", "construction"], learners = 80 }},   # programme learners, both cohorts
  {{ name = "school-b", sectors = ["technology"], learners = 60 }},
  {{ name = "school-c", sectors = ["care", "technology"], learners = 40 }},
]
companies = [
  {{ name = "company-a", sector = "care", places = 20 }},                      # learners it can host at once
  {{ name = "company-b", sector = "construction", places = 15, demand = true }},   # asks for the collaboration
  {{ name = "company-c", sector = "technology", places = 10 }},
  {{ name = "company-d", sector = "care", places = 12 }},
]
bridge_builders = [
  {{ name = "bridge-builder-1", paid_by = "programme" }},                      # or "partner"
]
partnerships = [
  {{ school = "school-a", company = "company-a", bridge_builder = "bridge-builder-1" }},
  {{ school = "school-b", company = "company-c", bridge_builder = "bridge-builder-1" }},
]
"""


def scenario_template(name: str) -> str:
    """The example scenario, named `name`."""
    return TEMPLATE.format(name=name)
