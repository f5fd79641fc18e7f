"""The one validated settings object; every value can come from a LINLI_* environment variable."""

from __future__ import annotations

import contextlib
import os
import secrets
from importlib.resources import files
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from nlu.loader import NluPaths


def _packaged_nlu_data() -> Path:
    return Path(str(files("nlu") / "data"))


class Settings(BaseSettings):
    """Linli's configuration. Defaults run everything locally with no setup."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", extra="ignore")

    home: Path = Field(default=Path("var"),
                       description="folder for state: trained models, caches, the database")
    nlu_data: Path = Field(default_factory=_packaged_nlu_data,
                           description="folder of Rasa-format NLU training data")
    config_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "config",
                             description="responses, FAQ, demo community, Rasa project files")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: a "
                                     "SQLite file in LINLI_HOME")

    telegram_token: str | None = Field(default=None, description="bot token from BotFather; "
                                       "Telegram runs only when it is set")
    telegram_base_url: str | None = Field(default=None, description="another Bot API server, "
                                          "e.g. http://127.0.0.1:8081/bot (tests, local API)")
    telegram_webhook_url: str | None = Field(default=None, description="public HTTPS URL of "
                                             "this server's /telegram/webhook; polling if unset")
    telegram_webhook_secret: str | None = Field(default=None, description="secret Telegram "
                                                "sends with every webhook call (A-Z, a-z, 0-9, "
                                                "_, -); default: a random one per start")
    action_endpoint: str | None = Field(default=None, description="rasa_sdk action server "
                                        "webhook URL; default: run the actions in-process")
    secret_key: SecretStr | None = Field(default=None, description="signs web chat sessions; "
                                         "default: a random key kept in LINLI_HOME/secret_key")
    claim_lease_seconds: float = Field(default=30, gt=0, description="a message whose turn "
                                       "has run this long is taken for orphaned by a crash "
                                       "and answered by another worker's sweep")
    retention_days: int = Field(default=180, ge=1, description="transcript texts older than "
                                "this many days are erased by the scheduler (PIPL)")
    auth_token: SecretStr | None = Field(default=None, description="token the REST channel "
                                         "and /model/parse require as ?token= (Rasa's "
                                         "--auth-token)")
    jwt_secret: SecretStr | None = Field(default=None, description="key that checks "
                                         "'Authorization: Bearer' JWTs, whose sender_id claim "
                                         "must name the sender (Rasa's --jwt-secret)")
    jwt_method: str = Field(default="HS256", description="the JWTs' signing algorithm")
    trusted_addresses: str = Field(default="127.0.0.0/8,::1", description="comma-separated "
                                   "addresses or networks that may read /metrics and "
                                   "/openapi.json and are exempt from the per-address limits")
    rate_per_sender: int = Field(default=60, ge=0, description="messages one sender may send "
                                 "per minute (as a burst, refilled evenly); 0: no limit")
    rate_per_address: int = Field(default=600, ge=0, description="messages and parses one "
                                  "client address may send per minute; 0: no limit")
    new_people_per_address: int = Field(default=30, ge=0, description="senders Linli has not "
                                        "met that one client address may bring per hour; "
                                        "0: no limit")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'linli.db'}"

    def signing_key(self) -> bytes:
        """The key that signs web chat sessions: LINLI_SECRET_KEY, else one made on first use
        and kept in LINLI_HOME, so sessions outlive a restart and every worker agrees."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.home / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f"secret_key.{os.getpid()}")
            with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                           "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32))
            # A hard link appears whole or not at all: of two processes starting together,
            # one makes the key and both read the same one.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
            draft.unlink()
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 16:
            raise RuntimeError(f"{path} holds no usable key: remove it to make a new one")
        return key.encode()

    @property
    def nlu_paths(self) -> NluPaths:
        return NluPaths(data=self.nlu_data, model=self.home / "models" / "nlu",
                        cache=self.home / "cache")
