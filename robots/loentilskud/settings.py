"""config/checks.toml [loentilskud]: how long a wage subsidy may run, by sector and target
group. Read once per night; refused in one line naming the file when it cannot be used."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from robots.core.errors import ConfigError
from robots.core.settings import config_dir

ROBOT = "loentilskud"
OTHER_GROUP = "other"


class SubsidySettings(BaseModel):
    """See the comments in config/checks.toml [loentilskud]."""

    model_config = ConfigDict(frozen=True)

    max_months: dict[str, dict[str, int]] = Field(
        description="sector (private, public) -> target group -> months"
    )

    @field_validator("max_months")
    @classmethod
    def _both_sectors_with_other(
        cls, value: dict[str, dict[str, int]]
    ) -> dict[str, dict[str, int]]:
        for sector in ("private", "public"):
            groups = value.get(sector)
            if not groups or OTHER_GROUP not in groups:
                raise ValueError(f"max_months.{sector} must exist and name `{OTHER_GROUP}`")
            if any(months < 1 for months in groups.values()):
                raise ValueError(f"max_months.{sector}: every limit is at least 1 month")
        return value

    def months_for(self, sector: str, target_group: str) -> int:
        groups = self.max_months.get(sector, self.max_months["private"])
        return groups.get(target_group, groups[OTHER_GROUP])


@lru_cache(maxsize=4)
def load_settings(folder: str | None = None) -> SubsidySettings:
    path = (config_dir() if folder is None else Path(folder)) / "checks.toml"
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8"))[ROBOT]
        return SubsidySettings(**section)
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValidationError) as exc:
        raise ConfigError(f"{path} [{ROBOT}] cannot be used: {exc}") from exc
