"""Okapi BM25 ranking: picks the chunks that matter when material outgrows a model's context."""

from __future__ import annotations

import math
from collections import Counter


class BM25:
    """Okapi BM25 over tokenised documents (k1=1.5, b=0.75)."""

    def __init__(self, docs: list[list[str]]) -> None:
        self.tf = [Counter(doc) for doc in docs]
        self.lengths = [len(doc) for doc in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 0.0
        df = Counter(term for counts in self.tf for term in counts)
        n = len(docs)
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def scores(self, query: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
        terms = list(dict.fromkeys(query))
        result = []
        for counts, length in zip(self.tf, self.lengths):
            norm = k1 * (1 - b + b * length / self.avg) if self.avg else k1
            result.append(sum(self.idf[t] * counts[t] * (k1 + 1) / (counts[t] + norm) for t in terms if t in counts))
        return result
