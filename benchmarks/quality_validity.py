"""How well the learned quality scorer tracks human ratings: FED (turn-level Overall, mean of 5 raters).

Per approach (feature set x model), Spearman with the mean Overall rating and its 95 % item-bootstrap CI
(resampling dialogues), for
- FED cross-validated BY DIALOGUE (GroupKFold; items whose contexts share a turn form one dialogue, so no fold
  sees a later turn of a conversation it is tested on): models fitted on FED's other folds, with or without the
  synthetic support pairs;
- the support-only model (synthetic pairs from Twitter care, the demo set and ABCD; no human rating at all) on all
  of FED: the held-out number;
- the shipped head (models/quality/quality.json) on FED: in-sample when it was trained with FED;
and what training costs (LM + MiniLM features, then the head fit), and how the support-only model scores the true
reply against each kind of synthetic negative (support pairs, cross-validated by conversation).

The training data is the recipe's (`configs/recipe/quality.yaml`, built exactly as `evalkit train recipe=quality`
builds it). EVALKIT_LM_CACHE=<file.sqlite> reuses LM features across runs; the cost column says which.

    PYTHONPATH=$PWD python benchmarks/quality_validity.py [--folds 5] [--out FILE] [--export models/quality/x.json]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from machine_info import cpu_model
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from evalkit.classifiers.features import QualityFeatures
from evalkit.classifiers.pipelines import quality_logreg
from evalkit.classifiers.quality import YES, dialogue_groups, rated_pairs
from evalkit.classifiers.quality_head import TRAINED_ON, QualityHead
from evalkit.cli.config import CONFIG_DIR, build_object
from evalkit.scorers.classifier import context_text, model_input
from evalkit.validity.correlation import item_weights, validity_row
from evalkit.validity.rated.formats import load_rated

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "quality" / "quality.json"


def recipe(overrides: list[str]):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose("train", overrides=["recipe=quality", *overrides])


def spearman(items, predicted, human, weights) -> str:
    row = validity_row("x", "Overall", items, list(predicted), list(human), weights)
    return f"{row.spearman.value:.3f} [{row.spearman.ci_low:.2f}, {row.spearman.ci_high:.2f}]"


def soft_logreg(C: float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "quality_validity.md"))
    parser.add_argument("--export", default=None, help="also write the support + FED head here")
    args = parser.parse_args()
    cfg = recipe([])
    rated_path = cfg.recipe.data.rated
    support = build_object(recipe(["recipe.data.rated=null"]).recipe.data, "recipe.data")
    fed = rated_pairs(rated_path, replicas=cfg.recipe.data.replicas, context_turns=cfg.recipe.data.context_turns)
    rated = load_rated(rated_path)
    items = dialogue_groups(rated.items)
    human = np.asarray([c.mean_rating("Overall") for _, c in rated.rows])
    frame = model_input([c.text for _, c in rated.rows],
                        [context_text(i.context, cfg.recipe.data.context_turns) for i, _ in rated.rows])
    features = QualityFeatures()
    names = list(features.get_feature_names_out())
    began = time.perf_counter()
    X_fed = features.transform(frame)
    X_sup = features.transform(support.frame())
    feature_s = time.perf_counter() - began
    y_sup = (np.asarray(support.labels) == YES).astype(int)
    replicas = cfg.recipe.data.replicas
    soft = np.asarray([fed.labels[i * replicas:(i + 1) * replicas].count(YES) for i in range(len(human))])
    weights = item_weights(items, 1000, 0)
    folds = list(GroupKFold(args.folds).split(X_fed, human, items))
    rows: list[tuple[str, str, str, str]] = []

    best = int(np.argmax([abs(np.corrcoef(np.argsort(np.argsort(x)), human)[0, 1]) for x in X_fed.T]))
    sign = np.sign(np.corrcoef(X_fed[:, best], human)[0, 1])
    rows.append((f"best single feature on FED (`{names[best]}`, sign chosen on FED)", "all of FED",
                 spearman(items, sign * X_fed[:, best], human, weights), "–"))

    def cv_ridge(cols: list[int], alpha: float) -> np.ndarray:
        out = np.zeros(len(human))
        for train, test in folds:
            model = make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(X_fed[train][:, cols], human[train])
            out[test] = model.predict(X_fed[test][:, cols])
        return out

    groups = {"surface + MiniLM": [i for i, n in enumerate(names) if not n.startswith(("lp_", "pmi", "log_reply",
                                                                                        "followup"))],
              "LM likelihoods": [i for i, n in enumerate(names) if n.startswith(("lp_", "pmi", "log_reply",
                                                                                  "followup"))],
              "all features": list(range(len(names)))}
    for label, cols in groups.items():
        for alpha in (10.0, 100.0):
            rows.append((f"ridge on FED ratings only, {label} ({len(cols)} features), alpha={alpha:g}",
                         f"{args.folds}-fold CV by dialogue", spearman(items, cv_ridge(cols, alpha), human, weights),
                         "–"))

    def replicate(X: np.ndarray, yes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rated rows as the recipe feeds them: `replicas` copies each, round(replicas * mean/4) of them "yes"."""
        labels = [[1] * k + [0] * (replicas - k) for k in yes]
        return np.repeat(X, replicas, axis=0), np.concatenate(labels) if labels else np.zeros(0, dtype=int)

    def logits(mode: str, C: float, w: float, Xf: np.ndarray, yes: np.ndarray, Xs: np.ndarray, ys: np.ndarray,
               X: np.ndarray) -> np.ndarray:
        """The model `mode` fitted on rated rows (Xf) and/or support pairs (Xs), its logits on X. "ensemble" is
        QualityEnsemble (the recipe's model): a head per kind, logits weighted w (rated) and 1 - w."""
        Xr, yr = replicate(Xf, yes)
        if mode == "pooled":
            return soft_logreg(C).fit(np.vstack([Xr, Xs]), np.r_[yr, ys]).decision_function(X)
        rated = soft_logreg(C).fit(Xr, yr).decision_function(X) if mode in ("rated", "ensemble") else 0.0
        synthetic = soft_logreg(C).fit(Xs, ys).decision_function(X) if mode in ("support", "ensemble") else 0.0
        return w * rated + (1 - w) * synthetic if mode == "ensemble" else rated + synthetic

    kinds = np.asarray(support.kinds, dtype=object)
    support_folds = list(GroupKFold(5).split(X_sup, y_sup, support.groups))

    def evaluate(mode: str, C: float, w: float = 1.0) -> tuple[str, float, np.ndarray]:
        """(FED Spearman [CI], support ROC-AUC, out-of-fold support predictions): FED CV by dialogue (support
        pairs all in training where the mode uses them), support CV by conversation (FED all in training)."""
        on_fed = np.zeros(len(human))
        empty = np.zeros((0, X_fed.shape[1])), np.zeros(0, dtype=int)
        if mode == "support":
            on_fed = logits(mode, C, w, *empty, X_sup, y_sup, X_fed)
        else:
            for train, test in folds:
                on_fed[test] = logits(mode, C, w, X_fed[train], soft[train], X_sup, y_sup, X_fed[test])
        on_support = np.zeros(len(y_sup))
        for train, test in support_folds:
            on_support[test] = logits(mode, C, w, *((X_fed, soft) if mode != "support" else empty),
                                      X_sup[train], y_sup[train], X_sup[test])
        return spearman(items, on_fed, human, weights), roc_auc_score(y_sup, on_support), on_support

    specs = [("logistic (soft labels) on FED ratings only", "rated", 1.0),
             ("logistic on support pairs only (no ratings)", "support", 1.0),
             ("one logistic pooled over FED ratings + support pairs", "pooled", 1.0),
             ("two heads, FED 0.5 / support 0.5", "ensemble", 0.5),
             ("two heads, FED 0.75 / support 0.25 (the recipe: QualityEnsemble)", "ensemble", 0.75)]
    recipe_C, recipe_w = cfg.classifier.C, cfg.classifier.rated_weight
    recipe_support = None
    for label, mode, w in specs:
        for C in (0.01, 0.1):
            fed_rho, auc, on_support = evaluate(mode, C, w)
            where = "held out: all of FED" if mode == "support" else f"{args.folds}-fold CV by dialogue"
            rows.append((f"{label}, C={C:g}", where, fed_rho, f"{auc:.3f}"))
            if mode == "ensemble" and recipe_C == C and w == recipe_w:
                recipe_support = on_support
    fit_began = time.perf_counter()
    logits("ensemble", recipe_C, recipe_w, X_fed, soft, X_sup, y_sup, X_fed[:1])
    fit_s = time.perf_counter() - fit_began  # what refitting the heads costs once the features are computed
    if args.export:
        final = quality_logreg(C=recipe_C, rated_weight=recipe_w).fit(
            _frame(fed, support), np.asarray([*fed.labels, *support.labels]))
        QualityHead.from_model(final, {"trained_on": TRAINED_ON}
                                  ).save(args.export)
    if SHIPPED.is_file():
        shipped = QualityHead.load(SHIPPED)
        rows.append((f"shipped head `{SHIPPED.relative_to(ROOT)}` ({shipped.meta.get('trained_on', '?')})",
                     "in-sample (it was trained on all of FED)",
                     spearman(items, shipped.predict_quality(frame), human, weights), "in-sample"))

    # Which synthetic negatives the recipe's model catches: true reply vs each kind (support CV by conversation).
    out = recipe_support if recipe_support is not None else np.zeros(len(y_sup))
    kind_rows = [(k, float(np.mean(1 / (1 + np.exp(-out[kinds == k])))), float(roc_auc_score(
        np.r_[np.ones((kinds == "true").sum()), np.zeros((kinds == k).sum())],
        np.r_[out[kinds == "true"], out[kinds == k]])) if k != "true" else float("nan"))
                 for k in ("true", "same_key", "other_key", "truncated", "generic", "contradicted", "echo")
                 if (kinds == k).any()]

    cache = os.environ.get("EVALKIT_LM_CACHE")
    lines = [
        "# Quality scorer: agreement with human ratings (FED turn-level Overall)", "",
        f"- rated data: `{Path(rated_path).name}` — {len(human)} rated replies, {len(set(items))} dialogues "
        "(items whose contexts share a turn); Spearman with the mean of 5 raters' Overall; 95 % CI from 1,000 "
        "bootstrap resamples of dialogues",
        f"- support pairs: {len(support)} ({support.label_counts()}) from {support.source} "
        "(configs/recipe/quality.yaml)",
        f"- machine: {os.cpu_count()} CPUs ({cpu_model()}, shared), Python {platform.python_version()}; "
        f"date {datetime.date.today().isoformat()}",
        f"- training cost: features {feature_s:.0f} s for {len(human) + len(support)} pairs "
        f"({'LM features read from EVALKIT_LM_CACHE' if cache else 'no LM cache: computed'}), "
        f"head fit {fit_s:.2f} s", "",
        "| approach | FED evaluation | FED Spearman with Overall [95 % CI] | support pairs ROC-AUC (true vs "
        "negatives, 5-fold CV by conversation) |", "|---|---|---|---|",
        *[f"| {a} | {e} | {s} | {u} |" for a, e, s, u in rows], "",
        f"The recipe's model (two heads, FED {recipe_w:g}, C={recipe_C:g}) on the support pairs (5-fold CV by "
        "conversation, all of FED in training): mean quality of the true reply and of each kind of negative, and "
        "ROC-AUC of true vs that kind:", "",
        "| reply | n | mean quality | ROC-AUC vs true |", "|---|---|---|---|",
        *[f"| {k} | {(kinds == k).sum()} | {m:.3f} | {'–' if a != a else f'{a:.3f}'} |" for k, m, a in kind_rows],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


def _frame(*parts):
    import pandas as pd

    return pd.concat([p.frame() for p in parts], ignore_index=True)


if __name__ == "__main__":
    main()
