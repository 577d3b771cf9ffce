"""`evalkit serve`: one configured bot behind an OpenAI-compatible endpoint, optionally with injected faults."""

from __future__ import annotations

import os

import hydra
from omegaconf import DictConfig, OmegaConf

from evalkit.bots.faults import faults_from
from evalkit.bots.serve_guard import check_host, check_token
from evalkit.bots.serving import create_app, serve_forever
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


def serve_token(token_env: str | None) -> str | None:
    """The token in the environment variable `token_env` names: never in a config file, a param or a log. A named
    variable that is unset is an error, not an open server: whoever named it meant to require a token."""
    if not token_env:
        return None
    token = os.environ.get(token_env, "")
    if not token:
        raise InvalidData(f"token_env={token_env}: the environment variable {token_env} is not set or empty")
    check_token(token)
    return token


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="serve")
def serve(cfg: DictConfig) -> None:
    with exit_on_bad_input():
        host = str(cfg.host)
        token = serve_token(cfg.token_env)
        check_host(host, token is not None)  # before fitting a bot: refusing should take no time
        bot = served_bot(cfg)
        faults = faults_from(OmegaConf.to_container(cfg.faults, resolve=True))  # type: ignore[arg-type]
        app = create_app(bot, faults, cfg.max_batch, cfg.handoff_tool, token=token, max_body_bytes=cfg.max_body_bytes)
    serve_forever(app, host, cfg.port)


def main() -> None:
    serve()
