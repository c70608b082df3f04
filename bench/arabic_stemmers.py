"""Arabic stemmers compared on tests/search_eval/arabic_words.tsv (656 words in 190 groups).

Words in one group must stem to one key and words of different groups to different keys.
Pairwise scores over every pair of words: recall is the share of same-group pairs a stemmer
joins; precision the share of the pairs it joins that are in one group; "apart" the share of
different-group pairs it keeps apart. The issue's named errors (issue 12) are counted on their
own. Run from the repository root: .venv/bin/python bench/arabic_stemmers.py
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

from brain.search.analysis import normalise_arabic, stem_arabic

WORDS = Path(__file__).resolve().parent.parent / "tests" / "search_eval" / "arabic_words.tsv"
# (word, word, whether they must share a stem): the errors issue 12 names.
NAMED = [
    ("العملة", "العمل", False),
    ("الجمعية", "جمع", False),
    ("المحلية", "محلات", False),
    ("قانون", "قانوني", True),
]


def light10_before(word: str) -> str:
    """brain's stemmer before issue 12 (after Larkey's light10), kept here for comparison."""
    word = re.sub("[\u064b-\u065f\u0670\u0640]", "", word)
    word = word.translate(
        str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
    )
    if len(word) > 3 and word.startswith("و"):
        word = word[1:]
    for article in ("وال", "بال", "كال", "فال", "لل", "ال"):
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article) :]
            break
    for suffix in ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


def candidates() -> dict[str, Callable[[str], str]]:
    import snowballstemmer
    from nltk.stem.isri import ISRIStemmer

    snowball = snowballstemmer.stemmer("arabic")
    isri = ISRIStemmer()
    return {
        "brain light10 (before)": light10_before,
        "snowballstemmer arabic": snowball.stemWord,
        "snowball + brain normalisation": lambda w: snowball.stemWord(normalise_arabic(w)),
        "nltk ISRI": isri.stem,
        "nltk ISRI + brain normalisation": lambda w: isri.stem(normalise_arabic(w)),
        "brain light stemmer (kept)": stem_arabic,
    }


def load(path: Path = WORDS) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["word"], row["group"]) for row in rows]


def score(stem: Callable[[str], str], words: list[tuple[str, str]]) -> dict[str, float]:
    keys = [(stem(word), group) for word, group in words]
    same = joined = same_joined = 0
    for (key_a, group_a), (key_b, group_b) in combinations(keys, 2):
        same += group_a == group_b
        joined += key_a == key_b
        same_joined += group_a == group_b and key_a == key_b
    different = len(keys) * (len(keys) - 1) // 2 - same
    recall = same_joined / same
    precision = same_joined / joined if joined else 1.0
    groups_split = sum(
        1 for keys_of_group in _keys_by_group(keys).values() if len(keys_of_group) > 1
    )
    return {
        "recall": recall,
        "precision": precision,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "apart": (different - (joined - same_joined)) / different,
        "wrong merges": joined - same_joined,
        "split groups": groups_split,
        "named errors": sum((stem(a) == stem(b)) != together for a, b, together in NAMED),
    }


def _keys_by_group(keys: list[tuple[str, str]]) -> dict[str, Counter]:
    found: dict[str, Counter] = {}
    for key, group in keys:
        found.setdefault(group, Counter())[key] += 1
    return found


def main() -> None:
    words = load()
    groups = len({group for _word, group in words})
    print(f"{len(words)} words in {groups} groups ({WORDS.relative_to(Path.cwd())})\n")
    header = (
        "| stemmer | recall | precision | F1 | apart | wrong merges | split groups | named errors |"
    )
    print(header)
    print("|" + "---|" * 8)
    for name, stem in candidates().items():
        s = score(stem, words)
        print(
            f"| {name} | {s['recall']:.3f} | {s['precision']:.3f} | {s['f1']:.3f} | "
            f"{s['apart']:.4f} | {s['wrong merges']} | {s['split groups']} | "
            f"{s['named errors']}/{len(NAMED)} |"
        )


if __name__ == "__main__":
    main()
