"""Settings: a typed model saved as TOML in the platform config folder.

``LOCI_CONFIG_DIR``, ``LOCI_DATA_DIR`` and ``LOCI_CACHE_DIR`` override the folders (tests,
portable installs).
The Gemini API key is never stored here: it lives in the environment or the keyring.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.errors import LociError

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


def cache_dir() -> Path:
    """Rebuildable copies (the offline model in a fast-loading form); safe to delete."""
    env = os.environ.get("LOCI_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP))


def private_dir(path: Path) -> Path:
    """``path`` made (if need be) readable by its owner only: the index holds every note's
    text, so other users of the machine must not read it (0700 on POSIX)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass  # not ours to change (a shared mount): its owner decides
    return path


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
    # Dollars the paid provider may spend on this index in all; 0: no limit.
    budget_usd: float = 0.0
    # The "no good match" cut for the provider in use; 0: its calibrated default (local 0.225,
    # Gemini 0.35, provisional). Scores are what search shows; see the README's ranking notes.
    score_floor: float = 0.0
    theme: str = "system"
    keep_running_in_tray: bool = False
    # The bundled demo folder stands in while no folder of the user's is set; it can be
    # removed (false) and leaves for good once the user adds a folder.
    demo: bool = True
    # `loci mcp`'s remember tool writes agents' notes here; empty: the tool is off.
    remember_folder: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The settings in ``path``; SettingsError (one line per problem) when it cannot be
        read or a value has the wrong type. Unknown keys are ignored (a newer Loci's)."""
        path = path or settings_path()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
        except OSError as exc:  # a folder, no permission …
            raise SettingsError(
                f"settings file {path} cannot be read ({exc.strerror or exc}); fix or remove it"
            ) from None
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        problems = settings.problems()
        if problems:
            raise SettingsError(
                f"settings file {path} has {'a problem' if len(problems) == 1 else 'problems'}:"
                + "".join(f"\n  {p}" for p in problems)
            )
        return settings

    def problems(self) -> list[str]:
        """What is wrong with these values, one line each; empty when they can be used."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            want = _TYPES[f.name]
            if want == "list":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    out.append(f'{f.name} must be a list of strings, like ["…"], not {value!r}')
            elif want is int:
                if isinstance(value, bool) or not isinstance(value, int):
                    out.append(f"{f.name} must be a whole number, not {value!r}")
                elif value < 0:
                    out.append(f"{f.name} must be 0 (the provider's default) or more, not {value}")
            elif want is float:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    out.append(f"{f.name} must be a number, not {value!r}")
                elif value < 0:
                    out.append(f"{f.name} must be 0 (none) or more, not {value}")
            elif not isinstance(value, want):
                kind = "true or false" if want is bool else "a string in quotes"
                out.append(f"{f.name} must be {kind}, not {value!r}")
        if isinstance(self.theme, str) and self.theme not in THEMES:
            out.append(f"theme must be one of {', '.join(THEMES)}, not {self.theme!r}")
        return out

    def save(self, path: Path | None = None) -> None:
        """Write the settings; refused (SettingsError) when a value is wrong, so a bad value
        never reaches the file."""
        problems = self.problems()
        if problems:
            raise SettingsError("; ".join(problems))
        path = path or settings_path()
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(to_toml(asdict(self)), encoding="utf-8")
        os.replace(tmp, path)  # a crash mid-save never leaves half a settings file

    def effective_folders(self) -> list[Path]:
        """The configured folders; while none is set, the bundled demo folder (unless removed)."""
        if self.folders:
            return [Path(f).expanduser() for f in self.folders]
        return [demo_folder()] if self.demo else []

    def is_demo(self) -> bool:
        """True while Loci shows its bundled sample folder instead of the user's own."""
        return not self.folders and self.demo


class SettingsError(LociError):
    pass


THEMES = ("system", "light", "dark")
# The type each setting must have in the file ("list": a list of strings).
# What each field's annotation (a string under `from __future__ import annotations`) asks of
# a value read from TOML; every Settings field must use one of these.
_TYPE_OF_ANNOTATION: dict[str, Any] = {
    "list[str]": "list",
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
}
_TYPES: dict[str, Any] = {f.name: _TYPE_OF_ANNOTATION[str(f.type)] for f in fields(Settings)}


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
