"""Settings: a typed model saved as TOML in the platform config folder.

``LOCI_CONFIG_DIR`` and ``LOCI_DATA_DIR`` override the folders (tests, portable installs).
The Gemini API key is never stored here: it lives in the environment or the keyring.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

APP = "loci"
DEFAULT_EXCLUDES = [".env", ".env.*", "*.pem", "*.key", "id_*", "*.kdbx"]


def config_dir() -> Path:
    env = os.environ.get("LOCI_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP))


def data_dir() -> Path:
    env = os.environ.get("LOCI_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP))


def resources_dir() -> Path:
    """``resources/`` beside the packages, from source and from a frozen build alike."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def demo_folder() -> Path:
    return resources_dir() / "demo"


@dataclass
class Settings:
    folders: list[str] = field(default_factory=list)
    # Folders whose files never leave the machine, whatever the provider.
    local_only: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    provider: str = "local"
    model: str = ""  # empty: the provider's default
    dims: int = 0  # 0: the provider's default
    gemini_base_url: str = ""
    theme: str = "system"
    keep_running_in_tray: bool = False
    # `loci mcp`'s remember tool writes agents' notes here; empty: the tool is off.
    remember_folder: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path | None = None) -> None:
        path = path or settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(to_toml(asdict(self)), encoding="utf-8")
        os.replace(tmp, path)  # a crash mid-save never leaves half a settings file

    def effective_folders(self) -> list[Path]:
        """The configured folders, or the bundled demo folder when none is set."""
        if self.folders:
            return [Path(f).expanduser() for f in self.folders]
        return [demo_folder()]


class SettingsError(Exception):
    pass


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def to_toml(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
