"""How positive or negative a customer's words are: VADER's compound score, from -1 to +1.

VADER (vaderSentiment) is a lexicon with rules for negation, intensifiers, punctuation and emoji, shipped
inside the package: nothing is downloaded at run time, and a chat line takes tens of microseconds, cheap
enough for the chat's write path. It reads English; text in other languages mostly scores near 0.
"""

from __future__ import annotations

import functools

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Where "neutral" ends, as VADER's authors suggest.
POSITIVE_FROM = 0.05
NEGATIVE_UP_TO = -0.05


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """-1 (very negative) .. +1 (very positive), three decimals."""
    return round(float(_analyzer().polarity_scores(text)["compound"]), 3)


def label(score: float | None) -> str:
    if score is None:
        return ""
    if score >= POSITIVE_FROM:
        return "positive"
    return "negative" if score <= NEGATIVE_UP_TO else "neutral"
