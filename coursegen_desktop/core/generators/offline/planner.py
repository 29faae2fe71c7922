"""Planning: splits the material into modules x lessons parts, cutting at its own headings
where it can, so a course follows the structure its author gave it."""

from __future__ import annotations

import math
from collections import Counter

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.records import Piece
from coursegen_desktop.core.generators.offline.text import stem_set, tokenise

_MAX_DP_ITEMS = 120


class Planner:
    """Splits the material into exactly modules × lessons parts, cutting at its own headings
    where it can (a contiguous partition that balances size and prefers high-level cuts)."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def plan(self, modules: int, lessons: int, focus: set[str] = frozenset()) -> list[list[list[Piece]]]:
        """`focus`: word stems of the user's instruction; sections that use them come first."""
        pieces = [Piece(s.index, 0, len(s.sentences)) for s in self.index.sections if s.sentences]
        if focus:
            pieces.sort(key=lambda piece: -self._focus_score(piece.section, focus))  # stable: the rest keep their order
        return [self.partition(group, lessons) for group in self.partition(pieces, modules)]

    def _focus_score(self, section_index: int, focus: set[str]) -> float:
        section = self.index.sections[section_index]
        title = len(stem_set(tokenise(section.title)[0]) & focus)
        body = sum(len(self.index.sentences[i].stems & focus) for i in section.sentences)
        return 3 * title + body / math.sqrt(max(1, len(section.sentences)))

    def partition(self, pieces: list[Piece], k: int) -> list[list[Piece]]:
        items = self._items(pieces, k)
        if len(items) < k:
            total = len(items)
            return [list(items[i * total // k]) for i in range(k)]  # tiny material: parts repeat
        cuts = self._cuts(items, k)
        groups, start = [], 0
        for cut in [*cuts, len(items)]:
            groups.append([piece for item in items[start:cut] for piece in item])
            start = cut
        return groups

    def _items(self, pieces: list[Piece], k: int) -> list[list[Piece]]:
        """Units to partition: pieces grouped at the deepest heading level that still gives at
        most _MAX_DP_ITEMS units; split further when there are fewer than k."""
        depth = max((len(self.index.sections[p.section].path) for p in pieces), default=0)
        items = [[p] for p in pieces]
        for d in range(depth, 0, -1):  # the finest grouping the DP can afford
            grouped = self._group(pieces, d)
            if len(grouped) <= _MAX_DP_ITEMS:
                items = grouped
                break
        while len(items) > _MAX_DP_ITEMS:
            items = _merge_pairs(items)
        while len(items) < k and self._split_one(items):
            pass
        return items

    def _group(self, pieces: list[Piece], depth: int) -> list[list[Piece]]:
        groups: list[list[Piece]] = []
        last_key = None
        for piece in pieces:
            section = self.index.sections[piece.section]
            key = (section.source, section.path[:depth]) if section.path else ("", piece.section)
            if groups and key == last_key:
                groups[-1].append(piece)
            else:
                groups.append([piece])
            last_key = key
        return groups

    def _split_one(self, items: list[list[Piece]]) -> bool:
        """Split the largest unit: between its pieces, else at a paragraph near the middle."""
        order = sorted(range(len(items)), key=lambda i: (-self._weight(items[i]), i))
        for i in order:
            item = items[i]
            if len(item) > 1:
                half = len(item) // 2
                items[i : i + 1] = [item[:half], item[half:]]
                return True
            piece = item[0]
            if piece.end - piece.start >= 2:
                middle = self._middle(piece)
                items[i : i + 1] = [[Piece(piece.section, piece.start, middle)], [Piece(piece.section, middle, piece.end)]]
                return True
        return False

    def _middle(self, piece: Piece) -> int:
        ids = self.index.sections[piece.section].sentences
        mid = (piece.start + piece.end) // 2
        for offset in range(0, (piece.end - piece.start) // 2):
            for candidate in (mid - offset, mid + offset):
                if piece.start < candidate < piece.end and self.index.sentences[ids[candidate]].para != self.index.sentences[ids[candidate - 1]].para:
                    return candidate
        return max(piece.start + 1, mid)

    def _weight(self, item: list[Piece]) -> float:
        return float(sum(len(self.index.sentences[i].text) for i in self.index.sentences_of(item)))

    def _cuts(self, items: list[list[Piece]], k: int) -> list[int]:
        """Dynamic programme: k contiguous groups, cost = squared relative imbalance + penalty
        for each cut that falls inside a heading rather than between top-level ones."""
        n = len(items)
        weights = [self._weight(item) for item in items]
        prefix = [0.0]
        for w in weights:
            prefix.append(prefix[-1] + w)
        target = prefix[-1] / k or 1.0
        penalty = [self._cut_penalty(items[i - 1], items[i]) for i in range(1, n)]
        inf = float("inf")
        best = [[inf] * (n + 1) for _ in range(k + 1)]
        back = [[0] * (n + 1) for _ in range(k + 1)]
        best[0][0] = 0.0
        for g in range(1, k + 1):
            for j in range(g, n - (k - g) + 1):
                for i in range(g - 1, j):
                    if best[g - 1][i] == inf:
                        continue
                    size = (prefix[j] - prefix[i] - target) / target
                    cost = best[g - 1][i] + size * size + (penalty[i - 1] if i > 0 else 0.0)
                    if cost < best[g][j] - 1e-12:
                        best[g][j], back[g][j] = cost, i
        cuts, j = [], n
        for g in range(k, 0, -1):
            j = back[g][j]
            cuts.append(j)
        return sorted(cuts)[1:]

    def _cut_penalty(self, left: list[Piece], right: list[Piece]) -> float:
        a, b = left[-1], right[0]
        sa, sb = self.index.sections[a.section], self.index.sections[b.section]
        if sa.source != sb.source:
            return 0.0
        if a.section == b.section:
            return 1.0
        if not sa.path and not sb.path:  # no headings: cut where the vocabulary changes
            return 0.2 + 0.8 * _overlap(self._stems(left), self._stems(right))
        if not sa.path:
            return 1.0  # an untitled lead-in belongs with the section after it
        common = 0
        while common < min(len(sa.path), len(sb.path)) and sa.path[common] == sb.path[common]:
            common += 1
        return (0.0, 0.3, 0.6)[min(common, 2)]

    def _stems(self, item: list[Piece]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for i in self.index.sentences_of(item):
            counts.update(self.index.sentences[i].stems)
        return counts


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two bags of words."""
    dot = sum(a[w] * b[w] for w in a if w in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _merge_pairs(items: list[list[Piece]]) -> list[list[Piece]]:
    """Halve the number of units by joining neighbours (used only for very long material)."""
    return [items[i] + (items[i + 1] if i + 1 < len(items) else []) for i in range(0, len(items), 2)]
