"""Tying each invoice to the request behind it (pure, whole night at once).

By the order reference when the invoice has one; otherwise by citizen, certificate and
doctor, taking the latest request made on or before the certificate date and at most
`window_days` earlier (config/checks.toml). What the match finds different from the request
(code, doctor, citizen, date) is for the checks to judge, not for the matcher to hide.
"""

from __future__ import annotations

import pandas as pd

MATCHED_COLUMNS = [
    "req_id",
    "req_cpr",
    "req_code",
    "req_cvr",
    "req_date",
    "req_case_area",
    "match",
]
"""What the matcher adds; `match` is reference, fallback, unknown_reference or none."""


def match_requests(
    invoices: pd.DataFrame, requests: pd.DataFrame, window_days: int
) -> pd.DataFrame:
    """The request of each invoice row (columns MATCHED_COLUMNS, indexed like invoices)."""
    req = requests.rename(
        columns={
            "request_id": "req_id",
            "cpr": "req_cpr",
            "certificate_code": "req_code",
            "doctor_cvr": "req_cvr",
            "requested_date": "req_date",
            "case_area": "req_case_area",
        }
    )[MATCHED_COLUMNS[:-1]].drop_duplicates("req_id")
    out = pd.DataFrame(index=invoices.index, columns=MATCHED_COLUMNS)
    reference = invoices["request_id"].fillna("").astype("string").str.strip()
    has_reference = reference != ""

    by_reference = (
        reference[has_reference]
        .rename("req_id")
        .to_frame()
        .reset_index(names="row")
        .merge(req, on="req_id", how="inner")
        .set_index("row")
    )
    by_reference["match"] = "reference"

    # merge_asof wants both sides sorted on the date and no missing keys.
    wanted = invoices.loc[
        ~has_reference, ["cpr", "certificate_code", "doctor_cvr", "service_date"]
    ].dropna()
    fallback = pd.DataFrame(columns=MATCHED_COLUMNS)
    keys = ["cpr", "certificate_code", "doctor_cvr"]
    if len(wanted) and len(req):
        left = wanted.reset_index(names="row").sort_values("service_date")
        left[keys] = left[keys].astype("string")
        right = req.dropna(subset=["req_date"]).sort_values("req_date")
        right = right.assign(
            cpr=right["req_cpr"].astype("string"),
            certificate_code=right["req_code"].astype("string"),
            doctor_cvr=right["req_cvr"].astype("string"),
        )
        joined = pd.merge_asof(
            left,
            right,
            left_on="service_date",
            right_on="req_date",
            by=keys,
            direction="backward",
            tolerance=pd.Timedelta(days=window_days),
        )
        fallback = joined.dropna(subset=["req_id"]).set_index("row")
        fallback["match"] = "fallback"

    for found in (by_reference, fallback):
        if len(found):
            out.loc[found.index, MATCHED_COLUMNS] = found[MATCHED_COLUMNS].to_numpy()
    unknown = has_reference & out["match"].isna()
    out.loc[unknown, "match"] = "unknown_reference"
    out["match"] = out["match"].fillna("none")
    out["req_date"] = pd.to_datetime(out["req_date"])
    for column in ("req_id", "req_cpr", "req_code", "req_cvr", "req_case_area"):
        out[column] = out[column].astype("string")
    return out
