"""config/checks.toml [fleksloentilskud]: when a month is due, and the checks' thresholds."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from robots.core.errors import ConfigError
from robots.core.settings import config_dir

ROBOT = "fleksloentilskud"


class FlexSettings(BaseModel):
    """See the comments in config/checks.toml."""

    model_config = ConfigDict(frozen=True)

    complete_day: int = Field(ge=1, le=28)
    months_back: int = Field(ge=1, le=24)
    correction_months_back: int = Field(ge=1, le=120)
    first_month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    hours_factor: Decimal = Field(gt=0)


@lru_cache(maxsize=4)
def load_settings(folder: str | None = None) -> FlexSettings:
    path = (config_dir() if folder is None else Path(folder)) / "checks.toml"
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8"))[ROBOT]
        return FlexSettings(**section)
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValidationError) as exc:
        raise ConfigError(f"{path} [{ROBOT}] cannot be used: {exc}") from exc
