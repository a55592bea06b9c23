"""The model's parameters: every symbol of the schedule, with its default, unit and meaning.

This is the only place defaults live. A strategy is a set of overrides of these fields.
Rates are per month. Names are the domain's words; the ODD symbol is in each description.
"""

from collections import namedtuple
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


def param(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A parameter field carrying its unit for the schema and the ODD table."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


UNIT = {"ge": 0.0, "le": 1.0}
MONTHS = 1200  # a hundred years: longer than any programme or horizon
MONEY = 1e7  # EUR: more than any programme pays one person or session
FACTOR = 100.0  # multipliers of a chance
CAPACITY = 10_000.0  # organisations an ecosystem can coordinate


class Parameters(BaseModel):
    """Parameters of the submodels of docs/ODD.md §7 (symbols in brackets), listed in its Parameters table."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # 1. Funding
    funding_end: int = param(36, "month", "[T] first month without programme funding", ge=0, le=MONTHS)
    funding_taper: int = param(0, "months", "[n] months over which funding falls linearly after T", ge=0, le=MONTHS)
    bridge_builder_cost: float = param(
        6000.0, "EUR/month", "programme pay of an active bridge-builder at full funding", ge=0, le=MONEY
    )
    aftercare_cost: float = param(1800.0, "EUR/month", "programme pay of a bridge-builder in aftercare", ge=0, le=MONEY)
    expert_card_cost: float = param(
        1500.0, "EUR/year", "expert sessions per ecosystem of >= 3 organisations under network support", ge=0, le=MONEY
    )
    outreach_cost: float = param(50.0, "EUR", "per hard-to-reach learner placed under outreach", ge=0, le=MONEY)
    evaluation_cost: float = param(500.0, "EUR", "per live partnership per evaluation session", ge=0, le=MONEY)

    # 2. Bridge-builders
    leave_rate: float = param(
        0.25, "1/month", "[q] chance a programme-paid bridge-builder leaves, times (1 - f)", **UNIT
    )
    partner_turnover: float = param(1 / 60, "1/month", "[q_p] chance a partner-paid bridge-builder leaves", **UNIT)
    partner_paid_share: float = param(
        0.0, "share", "share of bridge-builders paid by a partner, not the programme", **UNIT
    )
    aftercare: bool = param(False, "switch", "a leaving bridge-builder enters aftercare instead of departing")
    aftercare_decay: float = param(
        0.10, "1/month", "[delta_a] decay of intensity in aftercare; departs below aftercare_exit_intensity", **UNIT
    )
    aftercare_exit_intensity: float = param(
        0.1, "share", "[i_min] a bridge-builder in aftercare departs once its intensity falls below this", **UNIT
    )
    handover_rate: float = param(0.02, "1/month", "[h] ownership gained per month: O += h*g*i*(1-O)", **UNIT)
    handover_spread: float = param(
        0.5, "CV", "[c_g] spread of a partnership's handover pace g: lognormal, mean 1, this coefficient of variation",
        ge=0, le=3.0,
    )
    initial_ownership: float = param(0.1, "share", "[O0] the team's ownership at the start", **UNIT)
    consolidation_rate: float = param(
        0.01, "1/month", "[kappa] an active team embeds the work it owns: O += kappa*O*(1-O) a month", **UNIT
    )
    departure_shock: float = param(
        0.5, "share", "[sigma] shock s = sigma*(1-O)*i to health and floor support at departure", **UNIT
    )

    # 3. Support (draagvlak)
    initial_board: float = param(0.7, "share", "[B0] mean starting board support", **UNIT)
    initial_leaders: float = param(0.6, "share", "[L0] mean starting leaders'/managers' support", **UNIT)
    initial_floor: float = param(0.5, "share", "[F0] mean starting floor (teachers, supervisors) support", **UNIT)
    support_spread: float = param(0.1, "share", "starting support is the mean +- U(spread)", **UNIT)
    commitment_min: float = param(0.3, "share", "[c] lower end of leaders' commitment U(min, max)", **UNIT)
    commitment_max: float = param(0.9, "share", "[c] upper end of leaders' commitment U(min, max)", **UNIT)
    erosion: float = param(0.02, "1/month", "[epsilon] erosion of every layer towards the erosion floor", **UNIT)
    erosion_floor: float = param(0.2, "share", "[phi] value support erodes towards", **UNIT)
    leaders_pull: float = param(0.05, "1/month", "[a] pull of board and leaders towards commitment", **UNIT)
    leadership_engagement: bool = param(False, "switch", "leaders' pull acts on the floor layer too")
    diffusion: float = param(0.03, "1/month", "[d] downward diffusion B -> L -> F", **UNIT)
    demand_signal: float = param(0.02, "1/month", "[g_d] boost from a company's explicit demand", **UNIT)
    demand_share: float = param(0.2, "share", "share of companies with explicit demand ('vragende partij')", **UNIT)
    bridge_builder_energy: float = param(
        0.03, "1/month", "[g_b] floor boost from a serving bridge-builder, times intensity", **UNIT
    )

    # 4. Reflection
    evaluation_interval: int = param(0, "months", "[k_e] months between evaluation sessions; 0 is off", ge=0, le=MONTHS)
    reflection_recovery: float = param(
        0.5, "share", "[r] share of the gap a session closes: M += r*(1-M), leaders L += r*(L_start-L)", **UNIT
    )

    # 5. Partnership health and ending
    initial_mission: float = param(0.8, "share", "[M0] shared mission at the start", **UNIT)
    mission_drift: float = param(
        0.01, "1/month", "[mu] the mission settles at what the owning team carries: M += mu*(O - M)", **UNIT
    )
    initial_value: float = param(0.5, "share", "[V0] value at the start", **UNIT)
    value_gain: float = param(0.02, "1/month", "[r_v] value gain from fill and variety", **UNIT)
    isolation_loss: float = param(
        0.01, "1/month", "[p_iso] share of its value an isolated pair loses each month: V -= p_iso*V", **UNIT
    )
    weight_support: float = param(
        0.30, "weight", "[w_s] weight of the weakest support layer in the health target", **UNIT
    )
    weight_carrier: float = param(0.25, "weight", "[w_c] weight of the carrier O + (1-O)*i", **UNIT)
    weight_mission: float = param(0.15, "weight", "[w_m] weight of the shared mission", **UNIT)
    weight_value: float = param(0.20, "weight", "[w_v] weight of value", **UNIT)
    weight_consultation: float = param(0.10, "weight", "[w_k] weight of consultation structures", **UNIT)
    health_adjustment: float = param(
        0.2, "1/month", "[lambda] health moves this share of the way to its target", **UNIT
    )
    stall_base: float = param(0.002, "1/month", "[eta0] base chance an active partnership stalls", **UNIT)
    stall_slope: float = param(0.06, "1/month", "[eta1] extra stalling chance times (1 - H)^2", **UNIT)
    stalled_end: float = param(
        0.10, "1/month", "[zeta] chance a stalled partnership far below reactivation_health ends", **UNIT
    )
    reactivation_health: float = param(
        0.5, "share", "[H_r] midpoint of the smooth reactivation and ending rules of a stalled partnership", **UNIT
    )
    reactivation_rate: float = param(
        0.5, "1/month", "[rho_r] chance a stalled partnership far above reactivation_health turns active", **UNIT
    )
    health_slope: float = param(
        0.15, "share", "[w] width of the logistic in H of reactivation and ending; 0 is a hard threshold", **UNIT
    )
    cause_window: float = param(
        12.0, "months", "[W] the cause of an ending is judged on losses over about this many months", ge=1, le=MONTHS
    )
    contacts_one_share: float = param(0.6, "share", "share of partnerships starting with one contact person", **UNIT)
    contacts_two_share: float = param(0.3, "share", "share with two contact persons (the rest have three)", **UNIT)
    min_contacts: int = param(1, "persons", "every partnership has at least this many contact persons", ge=1, le=3)
    contact_tenure: float = param(48.0, "months", "[tau_c] mean tenure of a contact person", gt=0, le=MONTHS)
    contact_shock: float = param(0.3, "share", "health lost when the only contact person leaves", **UNIT)
    consultation_share: float = param(0.3, "share", "share of partnerships with consultation structures", **UNIT)

    # 6. Merging and recruitment
    ecosystem_backing: float = param(
        0.8, "share",
        "[beta_e] stalling and the only contact's departure shock x (1 - beta_e*e), e = 1 - 2/organisations",
        **UNIT,
    )
    merge_rate: float = param(
        0.03, "1/month", "[m] merging: p_ij = m*A_ij*B_ij/n_r (a rate: certain where above 1)", ge=0, le=FACTOR
    )
    affinity_sector: float = param(
        0.5, "factor", "[alpha_s] A_ij for ecosystems sharing only a sector", ge=0, le=FACTOR
    )
    affinity_none: float = param(0.1, "factor", "[alpha_0] A_ij for ecosystems sharing nothing", ge=0, le=FACTOR)
    brokerage: bool = param(False, "switch", "ecosystem brokerage: merging x3 and capacity + kappa_b")
    brokerage_merge_factor: float = param(3.0, "factor", "B_ij under ecosystem brokerage", ge=0, le=FACTOR)
    bridge_builder_merge_factor: float = param(
        2.0, "factor", "B_ij when either ecosystem has an active bridge-builder", ge=0, le=FACTOR
    )
    capacity: float = param(
        6.0, "organisations", "[kappa] organisations an ecosystem coordinates without cost", ge=0, le=CAPACITY
    )
    network_support: bool = param(False, "switch", "expert sessions ('10-beurtenkaart') add capacity")
    network_capacity: float = param(
        8.0, "organisations", "[kappa_n] capacity added by network support", ge=0, le=CAPACITY
    )
    brokerage_capacity: float = param(4.0, "organisations", "[kappa_b] capacity added by brokerage", ge=0, le=CAPACITY)
    coordination_penalty: float = param(
        0.03, "per organisation", "[pi] health-target penalty per organisation over capacity", **UNIT
    )
    max_coordination_penalty: float = param(0.3, "share", "[pi_max] largest coordination penalty", **UNIT)
    recruitment_rate: float = param(
        0.005, "1/month per organisation", "[rho] recruitment chance per organisation", **UNIT
    )
    max_recruitment: float = param(0.05, "1/month", "[rho_max] largest recruitment chance of an ecosystem", **UNIT)

    # 7. Learners
    hard_to_reach_share: float = param(0.25, "share", "share of enrolling learners who are hard to reach", **UNIT)
    placement_rate: float = param(
        0.15, "1/month", "[beta] placement chance of an unplaced learner, times motivation", **UNIT
    )
    hard_to_reach_factor: float = param(0.3, "factor", "[chi] placement factor for hard-to-reach learners", **UNIT)
    outreach: bool = param(False, "switch", "smaakmakers reach out: chi_o replaces chi")
    outreach_factor: float = param(
        0.7, "factor", "[chi_o] placement factor for hard-to-reach learners under outreach", **UNIT
    )
    motivation_min: float = param(0.3, "share", "lower end of motivation at enrolment", **UNIT)
    motivation_max: float = param(0.9, "share", "upper end of motivation at enrolment", **UNIT)
    motivation_adjustment: float = param(0.1, "1/month", "motivation += this*(H - motivation) while placed", **UNIT)
    competence_gain: float = param(
        0.02, "1/month", "[gamma] competence += gamma*H*motivation while placed", ge=0, le=1.0
    )
    rotation_interval: int = param(
        6, "months", "placed months between rotations in an ecosystem of >= 2 companies", ge=1, le=MONTHS
    )

    @model_validator(mode="after")
    def _ranges_ordered(self) -> "Parameters":
        if self.commitment_min > self.commitment_max:
            raise ValueError("commitment_min must not exceed commitment_max")
        if self.motivation_min > self.motivation_max:
            raise ValueError("motivation_min must not exceed motivation_max")
        if self.contacts_one_share + self.contacts_two_share > 1.0:
            raise ValueError("contacts_one_share + contacts_two_share must not exceed 1")
        return self


KernelParams = namedtuple("KernelParams", list(Parameters.model_fields), module=__name__)
KernelParams.__doc__ = "Parameters as a plain tuple numba can read (field names and order as in Parameters)."


def kernel_params(parameters: Parameters) -> KernelParams:
    """The parameters as numba-readable scalars: what the kernels receive as `p`."""
    return KernelParams(**parameters.model_dump())


def domain(name: str) -> str:
    """The allowed values of a parameter as docs/ODD.md's Parameters table shows them, e.g. '[0, 1]'."""
    field = Parameters.model_fields[name]
    if field.annotation is bool:
        return "true/false"
    low = high = None
    for bound in field.metadata:
        for key in ("ge", "gt", "le", "lt"):
            if hasattr(bound, key):
                value = _number(getattr(bound, key))
                if key in ("ge", "gt"):
                    low = ("[" if key == "ge" else "(") + value
                else:
                    high = value + ("]" if key == "le" else ")")
    interval = f"{low or '(-inf'}, {high or 'inf)'}"
    return f"integer in {interval}" if field.annotation is int else interval


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0e}".replace("e+0", "e").replace("e+", "e")
