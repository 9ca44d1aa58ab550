"""Demo nights for the helbredstillæg robot: inbox files plus the answer key.

A demo has to show two things at once: that clean claims go straight through to
payment, and that every kind of bad claim is caught by the rule meant for it. So each
night gets a few planted errors of every kind, each in a row that is otherwise clean,
and a ground-truth CSV (outside the inbox, where the robot never looks) saying which
rule must catch which file and line. Same spec, same bytes: reruns and tests compare
files directly, and the robots' "a file is processed once" rule can be shown with a
real byte copy of last night's file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from robots.demo import laegeregninger as doctors
from robots.demo.claims import (
    COMMA,
    COMMA_BOM,
    SEMICOLON,
    XLSX,
    NightClaims,
    build_night,
    describe,
    make_plan,
    plant_copies,
    plant_history,
)
from robots.demo.files import (
    citizen_rows_file,
    citizens_file,
    claim_file,
    companies_file,
    pensioners_file,
    unreadable_file,
)
from robots.demo.policy import DEFAULT_CONFIG_DIR, DemoPolicy, load_policy
from robots.demo.population import (
    Population,
    build_population,
    corrections,
    role_layout,
)
from robots.demo.textformat import BLANK_DAY, day_of
from robots.demo.xlsx import workbook_bytes
from robots.fleksloentilskud import demo as fleks
from robots.loentilskud import demo as wage_subsidy

DATASETS = (
    "citizens",
    "pensioners",
    "companies",
    "health_claims",
    "certificate_requests",
    "doctor_invoices",
)
GROUND_TRUTH_COLUMNS = ("night", "dataset", "file", "line", "claim_id", "planted", "note")
FORMATS = ("mixed", "csv")


@dataclass(frozen=True)
class DemoSpec:
    """What to generate. Everything but `night` and `formats` fixes the registers."""

    night: date
    seed: int = 173
    pensioners: int = 10_000
    claims: int = 3_000
    error_rate: float = 0.01
    municipality_code: int = 173
    formats: str = "mixed"
    invoices: int = 1_000
    """Doctors' invoice lines a night for the laegeregninger robot (0: none)."""
    xml_share: float = 0.2
    """Share of invoices sent as OIOUBL e-invoices (one XML document each)."""
    flex_jobs: int = 400
    """Fleksjobs in the register on the first night for the fleksloentilskud robot (0:
    none); a night after it adds a quarter as many, newly registered."""
    subsidy_agreements: int = 0
    """Wage-subsidy agreements with clean claims for the loentilskud robot (0: none); each
    planted kind gets agreements of its own besides (robots/loentilskud/demo)."""

    def __post_init__(self) -> None:
        """Refuse specs that cannot give a meaningful demo, with the fix in the message."""
        if self.formats not in FORMATS:
            raise ValueError(f"formats must be one of {FORMATS}, not {self.formats!r}")
        if not 0 <= self.error_rate < 0.05:
            raise ValueError("error_rate is the share per planted kind; use 0 <= error_rate < 0.05")
        if self.claims < 1 or self.pensioners < 1:
            raise ValueError("claims and pensioners must be positive")
        if self.invoices < 0 or not 0 <= self.xml_share <= 1:
            raise ValueError("invoices must be >= 0 and xml_share between 0 and 1")
        if not 101 <= self.municipality_code <= 860:
            raise ValueError("municipality_code must be a kommunekode (101-860)")
        if self.subsidy_agreements < 0:
            raise ValueError("subsidy_agreements must be >= 0")
        if self.flex_jobs and not fleks.enough_jobs(self.flex_jobs, self.error_rate):
            raise ValueError(
                f"flex_jobs must be 0 or at least {fleks.smallest_group(self.error_rate)} at "
                f"error_rate {self.error_rate} (room for every planted kind)"
            )

    def registers_key(self) -> tuple[int, int, int, float, int, int, int]:
        """The fields the registers depend on: equal keys, same people."""
        return (
            self.seed,
            self.pensioners,
            self.claims,
            self.error_rate,
            self.municipality_code,
            self.flex_jobs,
            self.subsidy_agreements,
        )


@dataclass(frozen=True)
class DemoNight:
    """What one call wrote: the inbox files, the answer key and the number of claim rows."""

    files: list[Path]
    ground_truth: Path
    claims_written: int
    flex_ground_truth: Path | None = None
    """The fleksloentilskud answer key (by job and month: that robot lists its own claims)."""
    loentilskud_ground_truth: Path | None = None
    """The loentilskud answer key (by claim id, with the amount each paid claim must have)."""


def _population(spec: DemoSpec, policy: DemoPolicy) -> Population:
    """The registers for a spec (independent of the night)."""
    plan = make_plan(spec.night, spec.claims, spec.error_rate, policy)
    sizes = role_layout(spec.pensioners, plan.per_kind, plan.velocity_citizens)
    needed = -(-plan.clean_pool_rows // 3)  # nobody gets more than three clean-pool claims
    if sizes.clean < needed:
        raise ValueError(
            f"pensioners={spec.pensioners} is too few for claims={spec.claims}: nobody may have "
            f"more than 3 clean claims a night; use at least "
            f"pensioners={spec.pensioners - sizes.clean + needed}"
        )
    return build_population(spec.seed, spec.municipality_code, sizes, policy)


def _night_claims(spec: DemoSpec, policy: DemoPolicy, population: Population) -> NightClaims:
    """A night's regular claims; a function of the spec alone, so it can be regenerated."""
    plan = make_plan(spec.night, spec.claims, spec.error_rate, policy)
    return build_night(spec.seed, plan, policy, population, csv_only=spec.formats == "csv")


def _stamp(night: date) -> datetime:
    """The fixed timestamp inside XLSX files, so the bytes do not depend on the clock."""
    # XLSX core properties hold naive UTC times; 02:00 on the night is as good as any.
    return datetime(night.year, night.month, night.day, 2, 0, 0)  # noqa: DTZ001


def _claim_files(claims: NightClaims, stamp: datetime) -> dict[str, bytes]:
    """Bytes of each regular claims file of a night."""
    rows = claims.rows
    out: dict[str, bytes] = {}
    for index, (name, flavour) in enumerate(zip(claims.file_names, claims.flavours, strict=True)):
        out[name] = claim_file(rows.loc[rows["file"].to_numpy() == index], flavour, stamp)
    return out


def _write(path: Path, data: bytes) -> Path:
    """Write a file whole, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def generate_night(
    data_dir: Path,
    spec: DemoSpec,
    *,
    previous_night: DemoSpec | None = None,
    config_dir: Path = DEFAULT_CONFIG_DIR,
) -> DemoNight:
    """Write one night's inbox (registers + claims) and its ground truth.

    With `previous_night`, also plant the kinds that need history: last night's clean
    claims are regenerated (same function, same seed) and resent paid, repeated,
    changed, last night's held velocity bills come again under new ids, and one of last
    night's claim files arrives again as a byte copy. Such a night also brings a second
    citizens file (a few corrections) and a re-export of a few of tonight's claims.
    """
    policy = load_policy(config_dir)
    if previous_night is not None:
        if previous_night.night >= spec.night:
            raise ValueError("previous_night must be an earlier night than spec.night")
        if previous_night.registers_key() != spec.registers_key():
            raise ValueError(
                "previous_night must use the same seed, pensioners, claims, error_rate, "
                "municipality_code, flex_jobs and subsidy_agreements as spec (they define the "
                "registers both nights share)"
            )
    population = _population(spec, policy)
    clinics = doctors.clinics_for(population, spec.seed)
    population = doctors.with_clinics(population, clinics)
    night = spec.night.isoformat()
    inbox = Path(data_dir) / "inbox"
    stamp = _stamp(spec.night)
    mixed = spec.formats == "mixed"
    written: list[Path] = []
    flex = (
        fleks.build_night(
            spec.night,
            seed=spec.seed,
            jobs=spec.flex_jobs,
            error_rate=spec.error_rate,
            municipality_code=spec.municipality_code,
            taken_cprs=population.citizens["cpr"].to_numpy(),
            taken_cvrs=population.companies["cvr"].to_numpy(),
            previous_night=previous_night.night if previous_night is not None else None,
            sheet=partial(workbook_bytes, stamp=stamp) if mixed else None,
            config_dir=config_dir,
        )
        if spec.flex_jobs
        else None
    )
    subsidy = (
        wage_subsidy.build_night(
            spec.night,
            seed=spec.seed,
            agreements=spec.subsidy_agreements,
            error_rate=spec.error_rate,
            municipality_code=spec.municipality_code,
            taken_cprs=[
                *population.citizens["cpr"].to_numpy(),
                *(flex.citizens["cpr"].to_numpy() if flex is not None else []),
            ],
            taken_cvrs=[
                *population.companies["cvr"].to_numpy(),
                clinics.unknown,
                *(flex.companies["cvr"].to_numpy() if flex is not None else []),
            ],
            previous_night=previous_night.night if previous_night is not None else None,
            sheet=partial(workbook_bytes, stamp=stamp) if mixed else None,
        )
        if spec.subsidy_agreements
        else None
    )
    extracts = _with_flex(population, flex)
    if subsidy is not None:
        extracts = _with_people(extracts, subsidy.citizens, subsidy.companies, "loentilskud")

    # --- registers -------------------------------------------------------------------
    written.append(
        _write(
            inbox / "citizens" / f"citizens_{night}.csv",
            citizens_file(extracts, SEMICOLON if mixed else COMMA),
        )
    )
    written.append(
        _write(
            inbox / "pensioners" / f"pensioners_{night}.csv",
            pensioners_file(population, COMMA_BOM if mixed else COMMA),
        )
    )
    if previous_night is not None:
        # Sorts after the full extract, so its rows win; no ground truth (nothing to catch).
        written.append(
            _write(
                inbox / "citizens" / f"citizens_{night}_rettelser.csv",
                citizen_rows_file(corrections(population, spec.seed, spec.night), COMMA),
            )
        )
    company_name = f"companies_{night}.xlsx" if mixed else f"companies_{night}.csv"
    written.append(
        _write(
            inbox / "companies" / company_name,
            companies_file(extracts, XLSX if mixed else COMMA, stamp),
        )
    )

    # --- tonight's claims ----------------------------------------------------------------
    claims_dir = inbox / "health_claims"
    tonight = _night_claims(spec, policy, population)
    rows = tonight.rows
    rows["note"] = describe(rows, population, policy, tonight.plan)
    for name, data in _claim_files(tonight, stamp).items():
        written.append(_write(claims_dir / name, data))
    truth = [_truth_rows(rows, tonight.file_names, night)]
    claims_written = len(rows)

    scan = f"{night}_scan.xlsx"
    written.append(_write(claims_dir / scan, unreadable_file(stamp)))
    extra: list[dict[str, object]] = [
        {
            "file": scan,
            "planted": "FILE-UNREADABLE",
            "note": "XLSX upload cut off mid-transfer: not a readable zip/XLSX file",
        },
    ]
    for kind, reason in tonight.plan.skipped:
        extra.append({"file": "", "planted": kind, "note": reason})

    # --- history kinds ----------------------------------------------------------------
    if previous_night is not None:
        before = _night_claims(previous_night, policy, population)
        history, not_planted = plant_history(
            spec.seed, tonight.plan, policy, before, spec.claims, population
        )
        history["note"] = describe(history, population, policy, tonight.plan)
        resubmitted = f"{night}_claims_resubmitted.csv"
        written.append(_write(claims_dir / resubmitted, claim_file(history, COMMA, stamp)))
        truth.append(_truth_rows(history, (resubmitted,), night))
        claims_written += len(history)
        for kind, reason in not_planted:
            extra.append({"file": "", "planted": kind, "note": reason})

        # A re-export of a few of tonight's claims in the other dialect, read after them.
        copies = plant_copies(spec.seed, tonight)
        copies["note"] = describe(copies, population, policy, tonight.plan)
        reexport = f"{night}_claims_reexport.csv"
        if len(copies) and not reexport > str(copies["original_file"].iloc[0]):
            raise RuntimeError(f"{reexport} must sort after the file its claims copy")
        written.append(
            _write(claims_dir / reexport, claim_file(copies, SEMICOLON if mixed else COMMA, stamp))
        )
        truth.append(_truth_rows(copies, (reexport,), night))
        claims_written += len(copies)

        copy_index = 1 if len(before.file_names) > 1 else 0
        original = before.file_names[copy_index]
        resent = original.removesuffix(".csv") + "_resent.csv"
        prev_rows = before.rows.loc[before.rows["file"].to_numpy() == copy_index]
        data = claim_file(prev_rows, before.flavours[copy_index], _stamp(previous_night.night))
        written.append(_write(claims_dir / resent, data))
        extra.append(
            {
                "file": resent,
                "planted": "FILE-ALREADY-PROCESSED",
                "note": f"byte copy of {original} from night {previous_night.night.isoformat()}",
            }
        )

    # --- doctors' invoices (laegeregninger) ---------------------------------------------
    if spec.invoices:
        previous = (
            _night_invoices(previous_night, population, clinics)
            if previous_night is not None
            else None
        )
        tonight_invoices = doctors.build_invoices(
            population,
            clinics,
            spec.night,
            spec.seed,
            spec.invoices,
            spec.error_rate,
            previous=previous,
        )
        made = doctors.write_night(
            inbox,
            tonight_invoices,
            spec.night,
            spec.xml_share,
            stamp,
            previous=(previous, previous_night.night)
            if previous is not None and previous_night is not None
            else None,
            xlsx=mixed,
            seed=spec.seed,
            look_alikes=doctors.per_kind(spec.invoices, spec.error_rate) if spec.error_rate else 0,
        )
        written += made.files
        truth.append(made.truth.loc[:, list(GROUND_TRUTH_COLUMNS)])
        claims_written += made.rows

    # --- fleksjobs (fleksloentilskud): registers and eIndkomst; its own answer key -------
    flex_truth = None
    if flex is not None:
        written += [_write(inbox / name, data) for name, data in flex.files.items()]
        flex_truth = _write(Path(data_dir) / "ground_truth" / flex.truth_name, flex.truth_csv())

    # --- wage-subsidy agreements and claims (loentilskud); its own answer key ------------
    subsidy_truth = None
    if subsidy is not None:
        written += [_write(inbox / name, data) for name, data in subsidy.files.items()]
        subsidy_truth = _write(
            Path(data_dir) / "ground_truth" / subsidy.truth_name, subsidy.truth_csv()
        )

    extras = pd.DataFrame(extra)
    extras.insert(0, "night", night)
    extras.insert(1, "dataset", "health_claims")
    extras["line"] = ""
    extras["claim_id"] = ""
    truth.append(extras.loc[:, list(GROUND_TRUTH_COLUMNS)])
    ground_truth = pd.concat(truth, ignore_index=True)
    target = Path(data_dir) / "ground_truth" / f"{night}.csv"
    _write(target, ground_truth.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return DemoNight(
        files=sorted(written),
        ground_truth=target,
        claims_written=claims_written,
        flex_ground_truth=flex_truth,
        loentilskud_ground_truth=subsidy_truth,
    )


def _with_flex(population: Population, flex: fleks.FlexNight | None) -> Population:
    """The registers as extracted: the CPR and CVR extracts also list the fleksjob citizens,
    their employers and the pension funds (the other robots' people stay as they were)."""
    if flex is None:
        return population
    return _with_people(population, flex.citizens, flex.companies, "fleksjob")


def _with_people(
    population: Population, people: pd.DataFrame, firms: pd.DataFrame, role: str
) -> Population:
    """The CPR and CVR extracts with a robot's own demo people and companies added (rows in
    the fleksloentilskud demo's shape: status_date a date or None)."""
    citizens = pd.DataFrame(
        {
            "cpr": people["cpr"].astype("int64"),
            "hyphen": people["hyphen"].astype(bool),
            "name": people["name"],
            "status": people["status"],
            "status_day": [BLANK_DAY if d is None else day_of(d) for d in people["status_date"]],
            "municipality_code": people["municipality_code"].astype("int64"),
            "civil_status": people["civil_status"],
            "moved_day": BLANK_DAY,
            "role": role,
        }
    )
    companies = firms.assign(status_day=[day_of(d) for d in firms["status_date"]])
    return replace(
        population,
        citizens=pd.concat([population.citizens, citizens], ignore_index=True).sort_values(
            "cpr", kind="stable", ignore_index=True
        ),
        companies=pd.concat(
            [population.companies, companies.drop(columns="status_date")], ignore_index=True
        ).sort_values("cvr", kind="stable", ignore_index=True),
    )


def _night_invoices(
    spec: DemoSpec, population: Population, clinics: doctors.Clinics
) -> doctors.NightInvoices:
    """A night's invoices and requests, regenerated from its spec (for the next night)."""
    return doctors.build_invoices(
        population, clinics, spec.night, spec.seed, spec.invoices, spec.error_rate
    )


def _truth_rows(rows: pd.DataFrame, file_names: tuple[str, ...], night: str) -> pd.DataFrame:
    """Ground-truth lines for the planted rows of one batch of claim rows."""
    planted = rows.loc[rows["kind"].to_numpy() != ""]
    planted = planted.sort_values(["file", "line"], kind="stable")
    return pd.DataFrame(
        {
            "night": night,
            "dataset": "health_claims",
            "file": np.array(file_names, dtype=object)[planted["file"].to_numpy()],
            "line": planted["line"].astype("int64").astype("str").to_numpy(),
            "claim_id": planted["claim_id"].astype("str").to_numpy(),
            "planted": planted["kind"].astype("str").to_numpy(),
            "note": planted["note"].astype("str").to_numpy(),
        }
    )
