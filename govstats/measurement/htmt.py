"""Heterotrait-monotrait ratios (HTMT and HTMT2), as semTools::htmt."""

from __future__ import annotations

import numpy as np
import pandas as pd


def htmt(items: dict[str, list[str]], x: pd.DataFrame, htmt2: bool = False) -> pd.DataFrame:
    """HTMT (arithmetic means of absolute correlations) or HTMT2 (geometric means), semTools' way.

    The diagonal is 1, as in semTools.
    """
    r = np.abs(np.corrcoef(x.to_numpy(float), rowvar=False))
    col = {v: i for i, v in enumerate(x.columns)}
    idx = {c: [col[i] for i in its] for c, its in items.items()}

    def mean(block: np.ndarray) -> float:
        return float(np.exp(np.log(block).mean())) if htmt2 else float(block.mean())

    def mono(c: str) -> float:
        b = r[np.ix_(idx[c], idx[c])]
        return mean(b[~np.eye(len(b), dtype=bool)])

    ids = list(items)
    w = {c: mono(c) for c in ids}
    out = pd.DataFrame(np.eye(len(ids)), index=ids, columns=ids)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            out.loc[a, b] = out.loc[b, a] = mean(r[np.ix_(idx[a], idx[b])]) / np.sqrt(w[a] * w[b])
    return out
