"""Character n-grams as numbers: a table of known n-grams (features, language-ID grams) looked up for many
n-grams at once with numpy, instead of one string and one dict lookup per n-gram.

Each character of the table's alphabet gets a digit 1..len(alphabet); every other character the largest
digit of ``bits`` bits, which no known n-gram has. An n-gram is the number whose base-2^bits digits are its
characters' (the first character lowest). No digit is 0, so n-grams of different lengths are different
numbers, and an n-gram with a character outside the alphabet matches nothing: a lookup is exact.
"""

from __future__ import annotations

import numpy as np


class GramTable:
    """Known n-grams (of at most ``longest`` characters) and their values, looked up as numbers."""

    def __init__(self, values: dict[str, int], longest: int) -> None:
        alphabet = sorted(set("".join(values)))
        self.bits = bits = (len(alphabet) + 1).bit_length()  # digits 1..len, the largest for other characters
        if bits * longest > 62:
            raise ValueError("too many characters for 64-bit n-gram numbers")
        self.lut = np.full(0x110000, (1 << bits) - 1, dtype=np.uint8 if bits <= 8 else np.uint16)
        digit = {c: k + 1 for k, c in enumerate(alphabet)}
        if alphabet:
            self.lut[[ord(c) for c in alphabet]] = list(digit.values())
        pairs = sorted((sum(digit[c] << (bits * k) for k, c in enumerate(g)), v) for g, v in values.items())
        self.numbers = np.array([n for n, _ in pairs], dtype=np.int64)
        self.values = np.array([v for _, v in pairs], dtype=np.int64)

    def digits(self, text: str) -> np.ndarray:
        """The digits of a text's characters (int64)."""
        chars = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return self.lut[chars].astype(np.int64)

    def lookup(self, numbers: np.ndarray, missing: int) -> np.ndarray:
        """The values of n-grams given as numbers (``missing`` for an unknown one)."""
        known = self.numbers
        if not len(known):
            return np.full(numbers.shape, missing, dtype=np.int64)
        at = np.minimum(np.searchsorted(known, numbers), len(known) - 1)
        return np.where(known[at] == numbers, self.values[at], missing)
