"""`evalkit serve`: one configured bot behind an OpenAI-compatible endpoint, optionally with injected faults."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig, OmegaConf

from evalkit.bots.serving import create_app, faults_from, serve_forever
from evalkit.cli.config import CONFIG_DIR, build_all, build_object
from evalkit.cli.errors import exit_on_bad_input
from evalkit.contract import Bot
from evalkit.errors import InvalidData


def served_bot(cfg: DictConfig) -> Bot:
    bots = dict(cfg.bots or {})
    name = cfg.bot or (next(iter(bots)) if len(bots) == 1 else None)
    if name is None or name not in bots:
        raise InvalidData(f"choose the bot to serve with bot=<name> (composed: {', '.join(bots) or 'none'})")
    bot = build_all({name: bots[name]}, "bots", Bot)[0]
    if bot.needs_fit:  # e.g. the retrieval bot's index
        bot.fit(build_object(cfg.dataset, "dataset").load().transcripts)
    return bot


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="serve")
def serve(cfg: DictConfig) -> None:
    with exit_on_bad_input():
        bot = served_bot(cfg)
        faults = faults_from(OmegaConf.to_container(cfg.faults, resolve=True))  # type: ignore[arg-type]
    serve_forever(create_app(bot, faults, cfg.max_batch, cfg.handoff_tool), cfg.host, cfg.port)


def main() -> None:
    serve()
