"""Scenario files: TOML read with tomllib, merged along `extends`, validated with pydantic.

A scenario describes the world (regions with their schools, companies, starting
partnerships, learners and bridge-builders), the clock, the seed, the parameters and the
named strategies (bundles of parameter overrides). Every user mistake becomes one
:class:`ScenarioError` whose message names the file, the field path, what was expected
and what was found.
"""

import difflib
import hashlib
import json
import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosim.parameters import Parameters

MAX_SEED = 2**63 - 1  # seeds are folded into the keyed hash as int64
MAX_COUNT = 2**31 - 1  # learners, places and rows are int32 in the arrays
MAX_EXTENDS = 16  # files in one `extends` chain
MAX_FILE_BYTES = 10 * 2**20  # a scenario file is a few kB; a national one well under a MB
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"  # a scenario name becomes a folder name under results/
MAX_TEXT = 200  # characters of a region, school or company name


def _safe_name(name: str) -> str:
    if not re.fullmatch(NAME, name):
        shown = repr(name) if len(name) <= 60 else repr(name[:57]) + "..."
        raise ValueError(
            "expected a name of 1-80 letters, digits, '.', '_' or '-' that starts with a letter or digit "
            f"(it names the results folder), found {shown}"
        )
    return name


SafeName = Annotated[str, AfterValidator(_safe_name)]
Label = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
DEFAULT_SECTORS = [
    "care",
    "construction",
    "technology",
    "logistics",
    "hospitality",
    "retail",
    "agriculture",
    "creative",
]


class ScenarioError(ValueError):
    """A mistake in a scenario file, explained in one line."""


class FieldMistake(ValueError):
    """A validator's finding about a field below the model that raised it (`loc` is relative)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchoolSpec(_Strict):
    """A school, named, with the sectors it trains for and its programme learners."""

    name: Label
    sectors: list[str] = Field(min_length=1, description="sectors the school trains for")
    learners: Count = Field(description="programme learners, both cohorts together")


class CompanySpec(_Strict):
    """A company, named, with its sector and the learners it can host at once."""

    name: Label
    sector: str
    places: Count = Field(description="concurrent learners it can host")
    demand: bool = Field(False, description="explicit demand for the collaboration ('vragende partij')")


class BridgeBuilderSpec(_Strict):
    """A bridge-builder (kwartiermaker) and who pays it."""

    name: Label
    paid_by: Literal["programme", "partner"] = "programme"


class PartnershipSpec(_Strict):
    """A starting partnership: one school, one company, optionally a bridge-builder."""

    school: str
    company: str
    bridge_builder: str | None = None


class Generate(_Strict):
    """Counts and ranges from which a region is drawn (for regions too big to list)."""

    schools: int = Field(ge=1, le=MAX_COUNT)
    companies: int = Field(ge=1, le=MAX_COUNT)
    partnerships: int = Field(ge=0, le=MAX_COUNT, description="starting 1-on-1 pairs")
    bridge_builders: int | None = Field(None, ge=0, description="default: enough to serve every pair at 3-5 each")
    learners_per_school: tuple[int, int] = (40, 160)
    places_per_company: tuple[int, int] = (10, 30)
    sectors_per_school: tuple[int, int] = (2, 3)
    served_per_bridge_builder: tuple[int, int] = (3, 5)

    @model_validator(mode="after")
    def _ranges(self) -> "Generate":
        for name in ("learners_per_school", "places_per_company", "sectors_per_school", "served_per_bridge_builder"):
            lo, hi = getattr(self, name)
            if lo < 0 or lo > hi or hi > MAX_COUNT:
                raise FieldMistake(
                    (name,), f"expected [low, high] with 0 <= low <= high <= {MAX_COUNT}, found [{lo}, {hi}]"
                )
        if self.sectors_per_school[0] < 1:
            found = list(self.sectors_per_school)
            raise FieldMistake(
                ("sectors_per_school",), f"expected a low end of 1 or more (schools train for a sector), found {found}"
            )
        if self.served_per_bridge_builder[0] < 1:
            found = list(self.served_per_bridge_builder)
            raise FieldMistake(("served_per_bridge_builder",), f"expected a low end of 1 or more, found {found}")
        if self.partnerships > self.companies:
            raise FieldMistake(
                ("partnerships",),
                f"expected at most one starting pair per company (<= {self.companies}), found {self.partnerships}",
            )
        return self


class Region(_Strict):
    """A set of organisations that can plausibly work together: listed, or generated."""

    name: Label
    copies: int = Field(1, ge=1, le=100_000, description="repeat this region (names get a suffix)")
    generate: Generate | None = None
    schools: list[SchoolSpec] = []
    companies: list[CompanySpec] = []
    partnerships: list[PartnershipSpec] = []
    bridge_builders: list[BridgeBuilderSpec] = []

    @model_validator(mode="after")
    def _one_form(self) -> "Region":
        listed = self.schools or self.companies or self.partnerships or self.bridge_builders
        if self.generate is None and not listed:
            raise ValueError("a region needs either a [generate] table or lists of schools and companies")
        if self.generate is not None and listed:
            raise ValueError("a region is either generated or listed, not both")
        if self.generate is None:
            _check_listed_names(self)
        return self


def _check_listed_names(region: Region) -> None:
    """Names are unique, and every partnership names a listed school, company and bridge-builder."""
    for field_, specs in (
        ("schools", region.schools),
        ("companies", region.companies),
        ("bridge_builders", region.bridge_builders),
    ):
        seen_names: set[str] = set()
        for k, spec in enumerate(specs):
            if spec.name in seen_names:
                raise FieldMistake(
                    (field_, k, "name"), f"expected a name unique in the region, found {spec.name!r} again"
                )
            seen_names.add(spec.name)
    known = {
        "school": {s.name for s in region.schools},
        "company": {c.name for c in region.companies},
        "bridge_builder": {b.name for b in region.bridge_builders},
    }
    seen = set()
    for k, pair in enumerate(region.partnerships):
        for kind, name in (("school", pair.school), ("company", pair.company), ("bridge_builder", pair.bridge_builder)):
            if name is not None and name not in known[kind]:
                hint = _did_you_mean(name, known[kind])
                raise FieldMistake(
                    ("partnerships", k, kind), f"expected a {kind} listed in the region, found {name!r}{hint}"
                )
        if (pair.school, pair.company) in seen:
            raise FieldMistake(
                ("partnerships", k), f"expected each pair once, found {pair.school!r}-{pair.company!r} again"
            )
        seen.add((pair.school, pair.company))


class Strategy(_Strict):
    """A named bundle of parameter overrides (docs/ODD.md §6)."""

    description: str = ""
    seed_text: str = Field("", description="which seed text the strategy comes from")
    set: dict[str, Any] = Field(description="parameter overrides")


class Scenario(_Strict):
    """A whole scenario file after `extends` is resolved."""

    name: SafeName
    description: str = Field("", max_length=10_000)
    seed: int = Field(1, ge=0, le=MAX_SEED, description="master seed of the keyed random numbers")
    horizon: int = Field(120, ge=1, description="months simulated")
    reference_month: int | None = Field(None, ge=0, description="outcome reference month; default the funding end")
    sectors: list[str] = Field(default_factory=lambda: list(DEFAULT_SECTORS), min_length=1, max_length=62)
    parameters: Parameters = Parameters()
    regions: list[Region] = Field(min_length=1)
    strategies: dict[str, Strategy] = {}

    @model_validator(mode="after")
    def _sectors_known(self) -> "Scenario":
        known = self.sectors
        for k, sector in enumerate(known):
            if sector in known[:k]:
                raise FieldMistake(("sectors", k), f"expected sector names to be unique, found {sector!r} again")
        names: set[str] = set()
        for g, region in enumerate(self.regions):
            for name in region_names(region):
                if name in names:
                    raise FieldMistake(("regions", g, "name"), f"expected unique region names, found {name!r} again")
                names.add(name)
        for g, region in enumerate(self.regions):
            used = [
                (("schools", k, "sectors", j), sector)
                for k, school in enumerate(region.schools)
                for j, sector in enumerate(school.sectors)
            ]
            used += [(("companies", k, "sector"), company.sector) for k, company in enumerate(region.companies)]
            for loc, sector in used:
                if sector not in known:
                    raise FieldMistake(
                        ("regions", g, *loc),
                        f"expected one of the scenario's sectors ({', '.join(known)}), found {sector!r}"
                        f"{_did_you_mean(sector, known)}",
                    )
        return self

    @property
    def outcome_month(self) -> int:
        """Reference month of the outcomes: the same for every strategy."""
        return self.parameters.funding_end if self.reference_month is None else self.reference_month

    def parameters_for(self, strategy: str | None, overrides: dict[str, Any] | None = None) -> Parameters:
        """The scenario's parameters with a strategy's overrides, then `overrides`, applied and validated."""
        if strategy is not None and strategy not in self.strategies:
            known = ", ".join(self.strategies) or "none"
            raise ScenarioError(
                f"strategy: expected one of the scenario's strategies ({known}), found {strategy!r}"
                f"{_did_you_mean(strategy, self.strategies)}"
            )
        changes = {**(self.strategies[strategy].set if strategy is not None else {}), **(overrides or {})}
        if not changes:
            return self.parameters
        try:
            return Parameters.model_validate({**self.parameters.model_dump(), **changes})
        except ValidationError as exc:
            raise ScenarioError(describe_error(first_error(exc), ("parameters",))) from None


def region_names(region: Region) -> list[str]:
    """The names of a region's copies: its name, or name-1, name-2, ... when copied."""
    return [region.name] if region.copies == 1 else [f"{region.name}-{k + 1}" for k in range(region.copies)]


def _did_you_mean(name: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def deep_merge(base: dict, override: dict) -> dict:
    """Tables merge key by key; anything else (lists included) is replaced."""
    merged = dict(base)
    for key_, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key_), dict):
            merged[key_] = deep_merge(merged[key_], value)
        else:
            merged[key_] = value
    return merged




def scenario_root(path: Path) -> Path:
    """The folder tree a scenario file may `extends` into: its project, else its own folder.

    The project is the parent of the file's folder when that parent holds a `scenarios/`
    folder (so `experiments/x.toml` may extend `../scenarios/baseline.toml`).
    """
    folder = Path(path).resolve().parent
    return folder.parent if (folder.parent / "scenarios").is_dir() else folder


def read_chain(
    path: Path, allowed: tuple[Path, ...] = (), _seen: tuple[Path, ...] = ()
) -> list[tuple[Path, dict]]:
    """The file and the files it `extends`, child first, each with its own TOML content.

    `extends` must resolve (symlinks followed) inside the named file's tree
    (:func:`scenario_root`) or inside a folder of `allowed`: a scenario file is never a way
    to read other files of the machine. A refused path is not looked at, so the error says
    nothing of what lies outside.
    """
    path = Path(path)
    resolved = path.resolve()
    if resolved in _seen:
        cycle = " -> ".join(p.name for p in (*_seen, resolved))
        raise ScenarioError(f"{path}: extends: expected no cycle, found {cycle}")
    if len(_seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{path}: extends: expected a chain of at most {MAX_EXTENDS} files, found a longer one")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return [(path, data)]
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: expected a file name (string), found {parent!r}")
    roots = (*(Path(r).resolve() for r in allowed), scenario_root(_seen[0] if _seen else path))
    parent_path = path.parent / parent
    if not any(parent_path.resolve().is_relative_to(root) for root in roots):
        raise ScenarioError(
            f"{path}: extends: expected a file inside {roots[-1]}, found a path outside it ({parent!r}); "
            "`ecosim check --allow-extends FOLDER` allows another folder"
        )
    if not parent_path.is_file():
        raise ScenarioError(f"{path}: extends: expected an existing scenario file, found no such file: {parent_path}")
    return [(path, data), *read_chain(parent_path, allowed, (*_seen, resolved))]


def _read_toml(path: Path) -> dict:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 2**20
            raise ScenarioError(f"{path}: expected a scenario file of at most {limit} MB, found {size:,} bytes")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: expected a scenario file, found no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: expected a scenario file, found a folder") from None
    except PermissionError:
        raise ScenarioError(f"{path}: expected a readable file, found no permission to read it") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: expected a UTF-8 text file, found byte {exc.start} is not UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: expected a readable file, found {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: expected valid TOML, found a syntax error: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: expected valid TOML, found tables or arrays nested too deeply") from None


def merge_chain(chain: list[tuple[Path, dict]]) -> dict:
    """The content of an `extends` chain (child first) merged into one table, the child winning."""
    merged: dict = {}
    for _, data in reversed(chain):
        merged = deep_merge(merged, data)
    return merged


def _origin(chain: list[tuple[Path, dict]], loc: tuple) -> str:
    """The file of the chain whose content holds `loc` (the child if none does), for messages."""
    for path, data in chain:
        value: Any = data
        for part in loc:
            if isinstance(value, list):  # lists are replaced whole: this file owns it
                break
            if not isinstance(value, dict) or part not in value:
                value = None
                break
            value = value[part]
        if value is not None:
            return str(path) if path == chain[0][0] else f"{path} (extended by {chain[0][0]})"
    return str(chain[0][0])


def load_scenario(path: str | Path, allowed: tuple[Path, ...] = ()) -> Scenario:
    """Read, merge and validate a scenario file; raise ScenarioError on any mistake.

    `allowed`: folders beyond the file's own tree that `extends` may read (:func:`read_chain`).
    A mistake in an extended file is reported without its value (only the named file's
    values are echoed).
    """
    chain = read_chain(Path(path), tuple(allowed))
    try:
        scenario = Scenario.model_validate(merge_chain(chain))
    except ValidationError as exc:
        error = first_error(exc)
        origin = _origin(chain, error_loc(error))
        shown = describe_error(error, echo=origin == str(chain[0][0]))
        raise ScenarioError(f"{origin}: {shown}") from None
    for name, strategy in scenario.strategies.items():
        try:
            Parameters.model_validate({**scenario.parameters.model_dump(), **strategy.set})
        except ValidationError as exc:
            error, prefix = first_error(exc), ("strategies", name, "set")
            origin = _origin(chain, error_loc(error, prefix))
            raise ScenarioError(f"{origin}: {describe_error(error, prefix, echo=origin == str(chain[0][0]))}") from None
    check_fits(scenario, str(chain[0][0]))
    return scenario


def first_error(exc: ValidationError) -> dict:
    """The error to show: an unknown key first (a misspelt key also makes its field 'missing')."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def error_loc(error: dict, prefix: tuple = ()) -> tuple:
    """The field path of a pydantic error, including a FieldMistake's own location."""
    mistake = error.get("ctx", {}).get("error")
    return (*prefix, *error["loc"], *(mistake.loc if isinstance(mistake, FieldMistake) else ()))


def describe_error(error: dict, prefix: tuple = (), echo: bool = True, root: type[BaseModel] | None = None) -> str:
    """One pydantic error as 'field.path: expected ..., found ...' (the value only if `echo`, else its type)."""
    mistake = error.get("ctx", {}).get("error")
    loc = error_loc(error, prefix)
    where = ".".join(str(part) for part in loc) or "(top level)"
    kind, message, found = error["type"], error["msg"], error.get("input")
    if kind == "extra_forbidden":
        return f"{where}: unknown key{_did_you_mean(str(loc[-1]), _field_names_at(loc[:-1], root or Scenario))}"
    if kind == "missing":
        return f"{where}: expected a value, found nothing (the field is required)"
    if message.startswith("Input should be "):
        expected = message.removeprefix("Input should be ")
    elif message.startswith("String should have "):
        expected = "a text with " + message.removeprefix("String should have ")
    elif isinstance(mistake, FieldMistake):
        return f"{where}: {mistake.message}"
    elif message.startswith("Value error, "):
        return f"{where}: {message.removeprefix('Value error, ')}"
    else:
        expected = message[0].lower() + message[1:]
    shown = repr(found) if echo else f"a value of type {type(found).__name__}"
    return f"{where}: expected {expected}, found {shown if len(shown) <= 60 else shown[:57] + '...'}"


def _field_names_at(loc: tuple, root: type[BaseModel]) -> list[str]:
    """Names of the fields of the model found at `loc` below `root` (for 'did you mean')."""
    model: Any = root
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        if part == "set" and model is Strategy:
            model = Parameters
            continue
        field = model.model_fields.get(part)
        if field is not None:  # otherwise `part` is a key of a dict of models: stay
            model = _model_in(field.annotation)
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


PROCESS_BYTES = 400 * 2**20  # Python, NumPy, pandas, numba and the compiled kernels
BYTES_PER_LEARNER = 400  # arrays, the learner table and its Parquet file at their peak (measured: national)
BYTES_PER_ORGANISATION = 4096  # organisations, partnerships, names, ecosystems


def largest_world(scenario: Scenario) -> tuple[int, int]:
    """Upper bounds of (learners, organisations) the scenario can build (generated counts at their highs)."""
    learners = organisations = 0
    for region in scenario.regions:
        if region.generate is not None:
            g = region.generate
            learners += region.copies * g.schools * g.learners_per_school[1]
            organisations += region.copies * (g.schools + g.companies)
        else:
            learners += region.copies * sum(s.learners for s in region.schools)
            organisations += region.copies * (len(region.schools) + len(region.companies))
    return learners, organisations


def machine_bytes() -> int:
    """The machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(scenario: Scenario, where: str, memory: int | None = None) -> None:
    """Refuse, before anything is allocated, a world too big for this machine's memory (or the int32 rows)."""
    learners, organisations = largest_world(scenario)
    memory = machine_bytes() if memory is None else memory
    needed = PROCESS_BYTES + BYTES_PER_LEARNER * learners + BYTES_PER_ORGANISATION * organisations  # generous peak
    if max(learners, organisations) > MAX_COUNT:
        raise ScenarioError(
            f"{where}: regions: expected at most {MAX_COUNT:,} learners and organisations in all, "
            f"found up to {learners:,} learners and {organisations:,} organisations"
        )
    if needed > 0.8 * memory:
        raise ScenarioError(
            f"{where}: regions: expected a world that fits in memory, found one needing about "
            f"{needed / 2**30:.1f} GiB ({learners:,} learners at most) on a machine with {memory / 2**30:.1f} GiB"
        )


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario: the same world and parameters give the same hash."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def json_schema() -> dict:
    """The JSON Schema of a scenario file, for editors."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {"type": "string", "description": "a scenario file this one overrides"}
    return schema
