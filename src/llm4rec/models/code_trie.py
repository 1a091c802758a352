"""The prefix tree of the code sequences that exist, for decoding that only generates real items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CodeTrie:
    """Level by level: `paths[l]` (nodes, l), the codes leading to each node at depth l (the root
    is the one node at depth 0); `children[l]` (nodes, vocabulary of level l), the node at depth
    l + 1 each code leads to (at the last level, the item), -1 where no item continues."""

    paths: list[np.ndarray]
    children: list[np.ndarray]

    @classmethod
    def build(cls, codes: np.ndarray, vocabulary_sizes: list[int]) -> CodeTrie:
        """The trie of unique code rows (n_items, depth), item i being row i."""
        depth = codes.shape[1]
        paths, children = [np.zeros((1, 0), dtype=np.int64)], []
        node_of_item = np.zeros(len(codes), dtype=np.int64)
        for level in range(depth):
            if level < depth - 1:
                prefixes, child = np.unique(codes[:, : level + 1], axis=0, return_inverse=True)
                child = child.ravel()
            else:
                child = np.arange(len(codes))
            table = np.full((len(paths[level]), vocabulary_sizes[level]), -1, dtype=np.int64)
            table[node_of_item, codes[:, level]] = child
            children.append(table)
            if level < depth - 1:
                paths.append(prefixes)
                node_of_item = child
        return cls(paths, children)

    @property
    def depth(self) -> int:
        return len(self.children)

    def edges(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        """(parent node, code) of every node at depth level + 1 (every item at the last level),
        in that node's (item's) index order."""
        parent, code = np.nonzero(self.children[level] >= 0)
        order = np.argsort(self.children[level][parent, code], kind="stable")
        return parent[order], code[order]
