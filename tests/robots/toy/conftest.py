"""The toy robot's config: the project's, with its account key added (in a temporary copy),
as a municipality adding a benefit adds it to its own config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from robots.core.settings import PROJECT_ROOT, clear_settings_cache


@pytest.fixture
def toy_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    with (config / "accounts.toml").open("a", encoding="utf-8") as accounts:
        accounts.write(
            '\n[cykeltilskud]\nfunction = "5.57.77"\nfunction_name = "Toy"\nart = "5.2"\n'
            'grouping = ""\nsource = "a test\'s made-up account"\n'
        )
    monkeypatch.setenv("ROBOTS_CONFIG_DIR", str(config))
    clear_settings_cache()
    return config
