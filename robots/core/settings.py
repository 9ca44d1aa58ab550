"""Settings for every robot: `config/settings.toml`, overridden by environment and CLI.

Read through the cached `get_settings()` (never a module-level instance) so tests and
the command line can point a run at any data folder or database.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    """The folder with settings.toml, rates/, accounts.toml (ROBOTS_CONFIG_DIR overrides)."""
    return Path(os.environ.get("ROBOTS_CONFIG_DIR", PROJECT_ROOT / "config")).resolve()


class BankSettings(BaseModel):
    """The municipality's paying account: the debtor of every payment batch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    debtor_name: str = Field(min_length=1, max_length=140)
    debtor_iban: str = Field(pattern=r"^DK\d{16}$")
    debtor_bic: str = Field(pattern=r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")
    debtor_cvr: str = Field(pattern=r"^\d{8}$")
    pi_agreement: str = Field(
        default="",
        pattern=r"^[0-9A-Za-z]{0,35}$",
        description="the PI-aftalenummer, the agreement with the paying bank (domain.md 7.4)",
    )
    debit_reg_nr: str = Field(default="", pattern=r"^(\d{4})?$")
    debit_account: str = Field(default="", pattern=r"^(\d{10})?$")
    max_transfers_per_file: int = Field(
        default=10_000,
        ge=1,
        description="a larger batch is paid in several files (bundles) of at most this many",
    )

    @model_validator(mode="after")
    def _account_is_the_ibans(self) -> BankSettings:
        """The debit account as reg.nr. and account number must be the IBAN's own (a
        Danish IBAN is DK, two check digits, the reg.nr. and the account number): two
        accounts in one config would pay from one and tell NemKonto the other."""
        if self.debit_reg_nr or self.debit_account:
            bban = self.debtor_iban[4:]
            if (self.debit_reg_nr, self.debit_account) != (bban[:4], bban[4:]):
                raise ValueError(
                    f"[bank] debit_reg_nr {self.debit_reg_nr} and debit_account "
                    f"{self.debit_account} are not the account of debtor_iban "
                    f"{self.debtor_iban} ({bban[:4]} {bban[4:]})"
                )
        return self


class InboxLimits(BaseModel):
    """How large a file in the inbox may be before it is refused unread (quarantined with
    the reason). A real extract is far inside each; a hostile one (a zip bomb, a flood of
    rows) is stopped before it costs memory or fills the ledger with exceptions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_file_mib: int = Field(default=512, gt=0, description="any file, as it lies on disk")
    max_rows_per_file: int = Field(default=2_000_000, gt=0, description="rows of one file")
    max_xlsx_unpacked_mib: int = Field(default=1024, gt=0, description="an XLSX, unzipped")
    max_xlsx_ratio: int = Field(
        default=100, gt=1, description="unzipped size / zipped size of any part of an XLSX"
    )
    max_xml_mib: int = Field(default=25, gt=0, description="an e-invoice, attachments included")
    max_xml_text_mib: int = Field(
        default=5, gt=0, description="an e-invoice without its embedded documents"
    )
    settle_seconds: int = Field(
        default=60,
        ge=0,
        description="a file changed more recently is still arriving: left for the next run",
    )


class PaymentSettings(BaseModel):
    """How the night writes its payment files (not what it pays)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    draft_from_claims: int = Field(
        default=50_000,
        ge=1,
        description="a night deciding at least this many claims 'pay' has its batches "
        "planned and written on a second core while the ledger records it, kept only if "
        "the ledger confirms them (robots/core/payments/drafting.py)",
    )


class ReviewSettings(BaseModel):
    """The control group's workbench (`robots review`): where it listens, when a decision
    needs a second person, and how log-ins are guarded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="listen on this address only")
    port: int = Field(default=8470, ge=1, le=65535)
    four_eyes_above_kroner: int = Field(
        default=5000,
        ge=0,
        description="recover or refer above this many kroner needs a second person's approval",
    )
    lock_after_failed_logins: int = Field(default=5, ge=1, le=100)
    login_attempts_per_minute: int = Field(default=10, ge=1, le=1000)
    session_minutes: int = Field(default=480, ge=5, le=24 * 60)
    page_size: int = Field(default=50, ge=10, le=500)


class NotifySettings(BaseModel):
    """Who hears about the nights: a short summary after each night, an alert on failure,
    by email through the municipality's SMTP relay. No smtp_host: the messages are only
    written under logs/notifications (and `robots status` shows the same facts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    smtp_host: str = Field(default="", description="the mail relay; empty: no email is sent")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    username: str = Field(default="", description="log in to the relay as; empty: no log-in")
    password_variable: str = Field(
        default="ROBOTS_SMTP_PASSWORD",
        description="the environment variable holding the relay password (never in a file)",
    )
    sender: str = "robotter@kommune.invalid"
    summary_to: tuple[str, ...] = Field(default=(), description="who gets each night's summary")
    alert_to: tuple[str, ...] = Field(default=(), description="who gets an alert on failure")
    timeout_seconds: int = Field(default=30, ge=1, le=600)


class Settings(BaseSettings):
    """One place for every option, each with a default and a reason."""

    model_config = SettingsConfigDict(
        env_prefix="ROBOTS_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("data"), description="inbox/, archive/, quarantine/, outputs/, ledger"
    )
    mode: Literal["production", "demo"] = Field(
        default="production", description="demo may pay on provisional rates; production may not"
    )
    municipality_code: int = Field(default=173, ge=101, le=999)
    municipality_name: str = "Lyngby-Taarbaek Kommune"
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; default is SQLite in the data folder",
    )
    logs_dir: Path = Field(default=Path("logs"), description="robocorp log.html per run")
    logs_keep_days: int = Field(
        default=90, ge=1, description="run logs older than this are deleted by the scheduler"
    )
    bank: BankSettings
    payment: PaymentSettings = PaymentSettings()
    inbox: InboxLimits = InboxLimits()
    review: ReviewSettings = ReviewSettings()
    notify: NotifySettings = NotifySettings()

    @field_validator("data_dir", "logs_dir")
    @classmethod
    def _anchor_relative_paths(cls, value: Path) -> Path:
        """Relative paths are relative to the project, so the scheduler's cwd does not matter."""
        return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_url(cls, value: str | None) -> str | None:
        """Accept the usual `postgres://` and plain `postgresql://` and use psycopg 3."""
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def ledger_url(self) -> str:
        """The database the ledger lives in."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ledger.sqlite'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: command line, then environment, then config/settings.toml."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_dir() / "settings.toml")
        return (init_settings, env_settings, toml)


@lru_cache(maxsize=8)
def _cached(overrides: tuple[tuple[str, object], ...]) -> Settings:
    return Settings(**dict(overrides))  # type: ignore[arg-type]  # pydantic validates each


def get_settings(**overrides: object) -> Settings:
    """The settings, with command-line overrides (None means 'not given')."""
    given = tuple(sorted((k, v) for k, v in overrides.items() if v is not None))
    return _cached(given)


def clear_settings_cache() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    _cached.cache_clear()
