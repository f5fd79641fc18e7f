"""Words the in-domain training data never used.

An out-of-scope message from a topic the model never saw is made of words no in-domain example
has, around a frame ("怎么办", "how do I", "多少钱") that in-domain questions share. Features
naming the unknown words ("w=<unk>", "b=<unk>|怎么办") let the classifier learn that frame plus
unknown content is out of scope, from whichever topics the training data does cover. At
training time a word counts as known only if some *other* in-domain example has it, so the
features mean at training what they mean on unseen text.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from functools import partial

UNKNOWN = "<unk>"
_WORD = "w="
_NUMBER = "w=<num"
_CHARACTER = "c="
#: Feature of a message with no word and no character n-gram in it.
EMPTY = "nothing"


def _is_word(feature: str) -> bool:
    return feature.startswith(_WORD) and not feature.startswith(_NUMBER)


def novelty_features(features: Sequence[str], known: Callable[[str], bool]) -> list[str]:
    """Extra features for the words of ``features`` (analyzer output) that are not known."""
    sequence = [f[2:] if not _is_word(f) or known(f) else UNKNOWN
                for f in features if f.startswith(_WORD)]
    words = sum(1 for f in features if _is_word(f))
    unknown = sequence.count(UNKNOWN)
    out = [f"w={UNKNOWN}"] * unknown
    out.append(f"u={min(unknown, 3)}")
    if words:
        out.append(f"uf={4 * unknown // words}")
    out.extend(f"b={a}|{b}" for a, b in itertools.pairwise(sequence) if UNKNOWN in (a, b))
    out.append(f"n={_length_bucket(words)}")
    if not words and not any(f.startswith(_CHARACTER) for f in features):
        out.append(EMPTY)  # punctuation, digits or symbols only: "。。。", "111111"
    return out


def _length_bucket(words: int) -> str:
    return str(words) if words <= 3 else "4-6" if words <= 6 else "7+"


def known_words(documents: Sequence[Sequence[str]], in_domain: Sequence[bool]) -> set[str]:
    """Word features used by at least one in-domain document."""
    return {f for doc, keep in zip(documents, in_domain, strict=True) if keep
            for f in doc if _is_word(f)}


def with_novelty(documents: Sequence[Sequence[str]],
                 in_domain: Sequence[bool]) -> list[list[str]]:
    """Training documents with their novelty features, each judged leaving itself out."""
    counts: Counter[str] = Counter()
    for doc, keep in zip(documents, in_domain, strict=True):
        if keep:
            counts.update({f for f in doc if _is_word(f)})
    out = []
    for doc, keep in zip(documents, in_domain, strict=True):
        own: Collection[str] = {f for f in doc if _is_word(f)} if keep else ()
        out.append([*doc, *novelty_features(doc, partial(_used_elsewhere, counts, own))])
    return out


def _used_elsewhere(counts: Counter[str], own: Collection[str], feature: str) -> bool:
    return counts[feature] - (feature in own) > 0
