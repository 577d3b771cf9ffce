"""Bot versions as MLflow logged models: each evaluated bot (the human row aside) becomes an external logged model
("agent version") named after the bot, carrying its version label, fingerprint, model or endpoint and generation
settings, with the bot run's metrics linked to it, so MLflow's own model and version pages chart quality per version.

What identifies a version comes from the run's flattened config (`bots.<key>.*`): the config edge keeps a bot's
optional `version:` label out of its constructor, and it is recorded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

MODEL_TYPE = "agent"  # what MLflow's version pages group by
# The settings that name what answers (the first one a bot config has is its `model` param).
_MODEL_KEYS = ("model", "base_url", "path", "target", "_target_")
_LEFT_OUT = ("name", "version", "_target_", "_convert_")


@dataclass(frozen=True)
class BotVersion:
    name: str
    version: str  # the bot config's `version:`, else the first 8 hex digits of the fingerprint's hash
    fingerprint: str
    model: str  # model name, endpoint, replies file or callable: what answers
    settings: Mapping[str, str] = field(default_factory=dict)  # the rest of the bot's config (generation params)

    def params(self) -> dict[str, str]:
        """The bot run's params and the logged model's."""
        return {"bot": self.name, "version": self.version, "model": self.model, "fingerprint": self.fingerprint,
                **{f"bot.{k}": v for k, v in self.settings.items()}}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bot_version(bot: str, fingerprint: str, config: Mapping[str, Any]) -> BotVersion:
    """The version of `bot` as the flattened run config describes it (`bots.<key>.name == bot`)."""
    key = next((k.split(".")[1] for k, v in config.items()
                if k.startswith("bots.") and k.count(".") == 2 and k.endswith(".name") and v == bot), bot)
    prefix = f"bots.{key}."
    own = {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}
    model = next((str(own[k]) for k in _MODEL_KEYS if own.get(k) not in (None, "")), bot)
    label = own.get("version")
    return BotVersion(name=bot, version=str(label) if label not in (None, "") else default_label(fingerprint),
                      fingerprint=fingerprint, model=model,
                      settings={k: str(v) for k, v in own.items() if k not in _LEFT_OUT and v is not None})


def default_label(fingerprint: str) -> str:
    """"retrieval-71a2c4…" -> "71a2c4e0": changes whenever a setting that changes the replies does."""
    return fingerprint.rsplit("-", 1)[-1][:8] or "unversioned"  # a re-scored run may not know its bots


def log_version(experiment_id: str, run_id: str, version: Mapping[str, Any], tags: Mapping[str, str],
                limit: int) -> str:
    """Create the version's external logged model, its source the bot run; returns its model id (what the run's
    metrics are logged against). Call with MLflow pointed at the store (evalkit.tracking.store.using)."""
    import mlflow

    described = BotVersion(**version)
    model = mlflow.create_external_model(
        name=described.name, source_run_id=run_id, experiment_id=experiment_id, model_type=MODEL_TYPE,
        params={k: v[:limit] for k, v in described.params().items()},
        tags={**tags, "evalkit.bot": described.name, "evalkit.version": described.version,
              "evalkit.bot_fingerprint": described.fingerprint})
    return model.model_id


def delete_versions(client: Any, experiment_id: str, tag: str, value: str) -> None:
    """The logged models an earlier log of the same run directory made, found by its tag (a resumed or re-synced
    run replaces them)."""
    for model in client.search_logged_models([experiment_id], filter_string=f"tags.`{tag}` = '{value}'",
                                             max_results=1000):
        client.delete_logged_model(model.model_id)
