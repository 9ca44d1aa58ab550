"""config/schedule.toml read and checked: which robot runs when, how far back a missed
period is caught up, and how a technical failure is retried.

Refused at start, with one line naming the file and the fault, rather than discovered at
02:30 some Sunday: a job in the hour daylight saving skips or repeats, an unknown robot,
a time that is not a time.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from robots.core.errors import ConfigError
from robots.core.settings import config_dir

DST_HOUR = 2
"""02:00-02:59 Copenhagen time is skipped on the last Sunday of March and repeated on the
last Sunday of October."""


class Job(BaseModel):
    """One robot's place in the schedule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    robot: str
    every: Literal["night", "month"]
    at: time
    day: int | None = Field(default=None, ge=1, le=28, description="day of month (monthly)")

    @field_validator("at", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, str):
            hours, _, minutes = value.partition(":")
            if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                raise ValueError(f"at {value!r} is not a time; write HH:MM, e.g. 01:30")
            return time(int(hours), int(minutes))
        return value

    @model_validator(mode="after")
    def _safe(self) -> Job:
        if self.at.hour == DST_HOUR:
            raise ValueError(
                f"{self.robot} at {self.at:%H:%M}: no job may start between 02:00 and 03:00, "
                "the hour daylight saving skips in March and repeats in October"
            )
        if (self.every == "month") != (self.day is not None):
            raise ValueError(f"{self.robot}: a monthly job needs day (1-28), a nightly one none")
        return self

    @property
    def name(self) -> str:
        return self.robot


class CatchUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nights_back: int = Field(default=7, ge=0, le=62)
    months_back: int = Field(default=2, ge=0, le=24)
    skip_nights: tuple[date, ...] = ()


class Retry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pauses_minutes: tuple[float, ...] = Field(default=(2, 10, 30))
    run_timeout_minutes: float = Field(default=240, gt=0)

    @field_validator("pauses_minutes")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(pause < 0 for pause in value):
            raise ValueError("pauses_minutes must not be negative")
        return value


class Schedule(BaseModel):
    """The whole of config/schedule.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = "Europe/Copenhagen"
    misfire_grace_minutes: int = Field(default=180, ge=1)
    summary_at: time = time(6, 30)
    catch_up: CatchUp = CatchUp()
    retry: Retry = Retry()
    jobs: tuple[Job, ...]

    @field_validator("summary_at", mode="before")
    @classmethod
    def _summary_time(cls, value: object) -> object:
        return Job._clock_time(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {value!r} is not a known time zone") from exc
        return value

    @model_validator(mode="after")
    def _one_job_per_robot(self) -> Schedule:
        robots = [job.robot for job in self.jobs]
        twice = sorted({r for r in robots if robots.count(r) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} has more than one job: one job per robot")
        if self.summary_at.hour == DST_HOUR:
            raise ValueError("summary_at may not be between 02:00 and 03:00 (daylight saving)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_schedule(path: Path | None = None, *, robots: frozenset[str] | None = None) -> Schedule:
    """The schedule, checked; `robots`: the names a job may have (the registered robots).

    Raises:
        ConfigError: one line naming the file and what is wrong.
    """
    path = path or config_dir() / "schedule.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        schedule = Schedule.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
    if robots is not None:
        unknown = [job.robot for job in schedule.jobs if job.robot not in robots]
        if unknown:
            raise ConfigError(
                f"{path}: no robot named {unknown[0]!r}; the robots are {', '.join(sorted(robots))}"
            )
    return schedule
