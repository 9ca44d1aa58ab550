"""One demo night: its inbox files, the rows it adds to the CPR and CVR extracts, and the
answer key.

Why it is a module of its own: it is the one entry the demo generator calls
(`build_night`); it puts the layout, the files and the judge together, gives the claims
their ids in file order, and checks that each planted claim trips its rule and that no
clean claim or look-alike trips any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from robots.core.export_dialects import COMMA, COMMA_BOM, SEMICOLON, Flavour, SheetWriter
from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo.cast import Cast, Claim
from robots.loentilskud.demo.files import (
    agreements_file,
    benefits_file,
    claims_file,
    flex_jobs_file,
)
from robots.loentilskud.demo.judging import Verdict, judge_night
from robots.loentilskud.demo.layout import build_cast, per_kind
from robots.loentilskud.demo.notes import Places, note
from robots.loentilskud.demo.people import citizens_frame, companies_frame


@dataclass(frozen=True)
class LoentilskudNight:
    """What one night adds to the demo: inbox files, extract rows, and the answer key."""

    files: dict[str, bytes]
    """Path under inbox/ -> bytes."""
    citizens: pd.DataFrame
    """Rows for the CPR extract: cpr, hyphen, name, status, status_date (date or None),
    municipality_code, civil_status."""
    companies: pd.DataFrame
    """Rows for the CVR extract: cvr, name, status, status_date, sector, kind."""
    truth: pd.DataFrame
    """TRUTH_COLUMNS, one row per claim row in tonight's files."""
    truth_name: str

    def truth_csv(self) -> bytes:
        return self.truth.to_csv(index=False, lineterminator="\n").encode("utf-8")


@dataclass(frozen=True)
class _ClaimFile:
    name: str
    flavour: Flavour | None
    """None: an XLSX sheet."""
    rows: list[tuple[str, Claim]]


def build_night(
    night: date,
    *,
    seed: int,
    agreements: int,
    error_rate: float,
    municipality_code: int,
    taken_cprs: Iterable[int],
    taken_cvrs: Iterable[int],
    previous_night: date | None = None,
    sheet: SheetWriter | None = None,
) -> LoentilskudNight:
    """One night's agreements register, claims files, shared-register rows and answer key.

    `agreements`: agreements with clean claims (the planted kinds get agreements of their
    own besides, about `error_rate` of them each, at least 4; none at error_rate 0).
    `previous_night`: this night follows that one, whose claims the robot has decided (the
    layout is built around the first night, so both nights share their registers). `sheet`:
    one of the first night's claims files as XLSX and the rest in mixed dialects; None:
    every file a plain `,` CSV. `taken_*`: numbers the other robots' demo people use.
    """
    if previous_night is not None and previous_night >= night:
        raise ValueError("previous_night must be an earlier night")
    if agreements < 1:
        raise ValueError("agreements must be at least 1")
    anchor = previous_night or night
    cast = build_cast(
        seed,
        anchor,
        agreements,
        per_kind(agreements, error_rate),
        [int(c) for c in taken_cprs],
        [int(c) for c in taken_cvrs],
    )
    number = 1 if previous_night is None else 2
    mixed = sheet is not None
    iso = night.isoformat()
    claim_files = _claim_files(cast, number, night, seed, mixed)
    earlier: dict[int, Verdict] = {}
    places: Places = {}
    if previous_night is not None:
        earlier = judge_night(cast, 1)
        places.update(_places(_claim_files(cast, 1, previous_night, seed, mixed), 1))
    places.update(_places(claim_files, number))
    verdicts = judge_night(cast, number, earlier)
    _check_plants(cast, verdicts)

    hyphens = {p.cpr: p.hyphen for p in cast.people}
    files = {f"subsidy_claims/{f.name}": claims_file(f.rows, f.flavour, sheet) for f in claim_files}
    files[f"subsidy_agreements/subsidy_agreements_{iso}.csv"] = agreements_file(
        cast.agreements, hyphens, SEMICOLON if mixed else COMMA
    )
    if cast.flex_jobs:
        files[f"flex_jobs/flex_jobs_{iso}_loentilskud.csv"] = flex_jobs_file(
            cast.flex_jobs, hyphens, COMMA
        )
    if cast.benefits:
        files[f"other_benefits/other_benefits_{iso}_loentilskud.csv"] = benefits_file(
            cast.benefits, hyphens, SEMICOLON if mixed else COMMA
        )
    return LoentilskudNight(
        files=dict(sorted(files.items())),
        citizens=citizens_frame(cast.people, municipality_code),
        companies=companies_frame(cast.employers),
        truth=_truth(iso, cast, claim_files, verdicts, places),
        truth_name=f"{k.ROBOT}_{iso}.csv",
    )


def _claim_files(cast: Cast, number: int, night: date, seed: int, mixed: bool) -> list[_ClaimFile]:
    """Tonight's claims over tonight's files, each agreement's claims in one file, in
    order of their periods, and their ids numbered in file order.

    A first night in mixed formats: a `;` file (Windows-1252, Danish dates and numbers),
    an XLSX sheet and a `,` file with a BOM; a later night a `,` and a `;` file; without a
    sheet writer, one `,` file. A planted impossible date is never put in the sheet.
    """
    tonight = [c for c in cast.claims if c.night == number]
    order = list(dict.fromkeys(c.agreement_id for c in tonight))
    shuffled = [order[i] for i in np.random.default_rng([seed, 82, number]).permutation(len(order))]
    position = {agreement: i for i, agreement in enumerate(shuffled)}
    stem = f"loentilskud_krav_{night.isoformat()}"
    flavours: list[Flavour | None]
    if not mixed:
        names, flavours = [f"{stem}.csv"], [COMMA]
    elif number == 1:
        names = [f"{stem}_1.csv", f"{stem}_2.xlsx", f"{stem}_3.csv"]
        flavours = [SEMICOLON, None, COMMA_BOM]
    else:
        names, flavours = [f"{stem}_1.csv", f"{stem}_2.csv"], [COMMA, SEMICOLON]
    unreadable = {c.agreement_id for c in tonight if c.plan == k.DATA_IMPOSSIBLE_DATE}
    csv_files = [i for i, f in enumerate(flavours) if f is not None]

    def file_of(agreement: str) -> int:
        if agreement in unreadable:
            return csv_files[position[agreement] % len(csv_files)]
        return position[agreement] % len(flavours)

    ordered = sorted(tonight, key=lambda c: (position[c.agreement_id], c.start, c.order))
    files = [_ClaimFile(name, flavour, []) for name, flavour in zip(names, flavours, strict=True)]
    for claim in ordered:
        files[file_of(claim.agreement_id)].rows.append(("", claim))
    serial = 0
    for f in files:
        for i, (_, claim) in enumerate(f.rows):
            serial += 1
            f.rows[i] = (f"LTK{night:%Y%m%d}-{serial:04d}", claim)
    return [f for f in files if f.rows]


def _places(files: list[_ClaimFile], number: int) -> Places:
    """Claim order -> (night, claim id, file name, line)."""
    return {
        claim.order: (number, claim_id, f.name, line)
        for f in files
        for line, (claim_id, claim) in enumerate(f.rows, start=2)
    }


def _check_plants(cast: Cast, verdicts: dict[int, Verdict]) -> None:
    """Each planted claim trips its rule; no clean claim or look-alike trips any."""
    for claim in cast.claims:
        verdict = verdicts.get(claim.order)
        if verdict is None:
            continue
        if claim.plan in k.RULE_KINDS and claim.plan not in verdict.fired:
            raise RuntimeError(f"claim {claim.order} planted {claim.plan} trips {verdict.fired}")
        if claim.plan in (k.CLEAN, *k.LOOKALIKES) and verdict.outcome != k.PAID:
            raise RuntimeError(f"{claim.plan} claim {claim.order} trips {verdict.fired}")


def _truth(
    iso: str,
    cast: Cast,
    files: list[_ClaimFile],
    verdicts: dict[int, Verdict],
    places: Places,
) -> pd.DataFrame:
    records = []
    for f in files:
        for line, (claim_id, claim) in enumerate(f.rows, start=2):
            verdict = verdicts[claim.order]
            if claim.plan in k.RULE_KINDS:
                rule = claim.plan
            elif claim.plan in k.DATA_ERROR_KINDS:
                rule = k.DATA_ERROR_RULES[claim.plan]
            else:
                rule = ""
            records.append(
                (
                    iso,
                    claim_id,
                    claim.agreement_id,
                    f.name,
                    str(line),
                    claim.plan,
                    verdict.outcome,
                    rule,
                    "" if verdict.amount is None else str(verdict.amount),
                    note(claim, verdict, cast, places),
                )
            )
    return pd.DataFrame(records, columns=list(k.TRUTH_COLUMNS))
