"""Content gaps: chat questions no published article answers, grouped by what they are about.

The questions are the first visitor message of each conversation started in the period (the latest
``QUESTION_CAP`` of them, each cut at ``QUESTION_CHARS``). A question is *answered* when one of the first three
articles the help center's search finds for the question as written (in the conversation's language as the
inbox picks it, when published articles exist in it; else the default language) shares two of the question's
terms, or more than half of them, with its title or description; otherwise it is a gap. A hit
on a passing word of a long article body is not an answer: "can I pay with Klarna" finding "Payment methods"
(one term of two) is still a gap.

Gaps are grouped by agglomerative clustering (SciPy, average linkage) over cosine distances of their TF-IDF
term vectors; a group is labelled by its most frequent terms. ``terms`` is the search's own tokenizer
(stemming.py), so a question's terms are the stems the index holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]  # no stubs in the test extras
from scipy.spatial.distance import pdist  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import AuthorType, Conversation, Message
from frontdesk.helpcenter import centers, stemming, suggestions
from frontdesk.helpcenter.models import LANGUAGES
from frontdesk.helpcenter.search import search_articles
from frontdesk.reports.controls import ReportControls

QUESTION_CAP = 300  # the latest conversations of the period that are read: each costs one search
QUESTION_CHARS = 300
GROUP_DISTANCE = 0.75  # cosine distance under which questions fall in one group (1.0: nothing in common)
EXAMPLES = 3
MAX_GROUPS = 20

# Chat pleasantries that are no stop words of the search ("Hello?" asks nothing an article could answer).
PLEASANTRIES = frozenset(["hello", "hi", "hey", "thanks", "thank", "please", "hallo", "danke", "bitte"])


# A browser's language is not always the language a question is written in ("de-DE", asked in English): a
# word that is a stop word in either language is no topic.
_ANY_STOP_WORD = frozenset().union(*(stemming.stop_words(language) for language in LANGUAGES.values()))


def terms(text: str, language: str = "english") -> list[str]:
    """The topic words of ``text``: the search's own tokenizer (stemming: PostgreSQL's stop words dropped,
    Snowball stems), so "shipping" and an article's "shipped" are one term "ship"; pleasantries and numbers
    dropped (order kept, repeats kept)."""
    kept = [
        word
        for word in stemming.meaningful_words(text, language)
        if word not in PLEASANTRIES and word not in _ANY_STOP_WORD and len(word) >= 2 and not word.isdigit()
    ]
    return stemming.stems(kept, language)


@dataclass
class Question:
    conversation_id: int
    text: str
    locale: str = "en"
    terms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    label: str
    terms: list[str]
    questions: list[Question]


@dataclass(frozen=True)
class Gaps:
    questions_read: int
    unanswered: int
    groups: list[Group]
    ungrouped: int  # unanswered questions like no other one


async def first_questions(session: AsyncSession, controls: ReportControls) -> list[Question]:
    """The first visitor message of each conversation started in the period, latest conversations first, each
    in the language the inbox's suggestions would search (the visitor's reported language when the help center
    has published articles in it, else the default language)."""
    first_seq = (
        select(Message.conversation_id, func.min(Message.seq).label("seq"))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.workspace_id == controls.workspace_id,
            *controls.within(Conversation.created_at),
            Message.author_type == AuthorType.visitor.value,
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.execute(
        select(Conversation, Message.body)
        .select_from(Message)
        .join(
            first_seq,
            (first_seq.c.conversation_id == Message.conversation_id) & (first_seq.c.seq == Message.seq),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.workspace_id == controls.workspace_id)
        .order_by(Message.conversation_id.desc())
        .limit(QUESTION_CAP)
    )
    center = await centers.get_help_center(session=session, workspace_id=controls.workspace_id)
    published = set(await centers.published_locales(session=session, workspace_id=controls.workspace_id))
    chosen: dict[str, str] = {}  # the reported language as stored -> the locale searched
    questions = []
    for conversation, body in rows:
        reported = str((conversation.context or {}).get("language") or "")
        if reported not in chosen:
            locale = await suggestions.question_locale(  # one rule for the inbox and gaps
                session, conversation
            )
            chosen[reported] = locale if locale in published else center.default_locale
        questions.append(Question(conversation.id, " ".join(body.split())[:QUESTION_CHARS], chosen[reported]))
    return questions


async def _answered(session: AsyncSession, workspace_id: int, question: Question) -> bool:
    """The search is given the question as written (it drops stop words and stems by itself); a hit answers it
    when its title and description cover enough of the question's terms."""
    wanted = set(question.terms)
    language = LANGUAGES[question.locale]
    found = await search_articles(
        session=session, workspace_id=workspace_id, locale=question.locale, query=question.text, limit=3
    )
    for hit in found.hits:
        covered = wanted & set(terms(f"{hit.title} {hit.description}", language))
        if len(covered) >= 2 or 2 * len(covered) > len(wanted):
            return True
    return False


def _spelling(term: str, questions: list[Question]) -> str:
    """The way the questions most often wrote a stemmed term ("invoic" -> "invoice"), for labels."""
    written = Counter(
        word
        for question in questions
        for word in stemming.meaningful_words(question.text, LANGUAGES[question.locale])
        if stemming.stem(word, LANGUAGES[question.locale]) == term
    )
    return written.most_common(1)[0][0] if written else term


def group_questions(questions: list[Question]) -> tuple[list[Group], int]:
    """Questions about the same thing in one group, biggest first; and how many stood alone."""
    if len(questions) < 2:
        return [], len(questions)
    vocabulary = sorted({term for question in questions for term in question.terms})
    index = {term: position for position, term in enumerate(vocabulary)}
    counts = np.zeros((len(questions), len(vocabulary)))
    for row, question in enumerate(questions):
        for term in question.terms:
            counts[row, index[term]] += 1
    documents_with = (counts > 0).sum(axis=0)
    weights = counts * (np.log((1 + len(questions)) / (1 + documents_with)) + 1)  # smoothed TF-IDF
    distances = np.nan_to_num(pdist(weights, metric="cosine"), nan=1.0)
    labels = fcluster(linkage(distances, method="average"), t=GROUP_DISTANCE, criterion="distance")
    members: dict[int, list[Question]] = {}
    for label, question in zip(labels, questions, strict=True):
        members.setdefault(int(label), []).append(question)
    groups = []
    alone = 0
    for found in members.values():
        if len(found) < 2:
            alone += 1
            continue
        asked_by = Counter(term for question in found for term in set(question.terms))
        top = sorted(asked_by, key=lambda term: (-asked_by[term], term))[:3]
        groups.append(Group(label=", ".join(_spelling(term, found) for term in top), terms=top, questions=found))
    groups.sort(key=lambda group: (-len(group.questions), group.label))
    return groups[:MAX_GROUPS], alone


async def content_gaps(session: AsyncSession, controls: ReportControls) -> Gaps:
    """At most QUESTION_CAP questions, so at most that many searches (fewer: the same terms in the same language
    are searched once). Called once per report: the report page, its CSV, the API and the details page each
    compute the report once."""
    questions = await first_questions(session, controls)
    default = (await centers.get_help_center(session=session, workspace_id=controls.workspace_id)).default_locale
    verdicts: dict[tuple[str, tuple[str, ...]], bool] = {}

    async def answered(question: Question) -> bool:
        key = (question.locale, tuple(sorted(set(question.terms))))
        if key not in verdicts:
            verdicts[key] = await _answered(session, controls.workspace_id, question)
        return verdicts[key]

    unanswered = []
    for question in questions:
        question.terms = terms(question.text, LANGUAGES[question.locale])
        if not question.terms:
            continue  # "hello?" asks nothing an article could answer
        if await answered(question):
            continue
        if question.locale != default:
            # As the inbox does: the default language's articles may answer what the reported language's do not.
            in_default = Question(question.conversation_id, question.text, default)
            in_default.terms = terms(question.text, LANGUAGES[default])
            if in_default.terms and await answered(in_default):
                continue
        unanswered.append(question)
    groups, alone = group_questions(unanswered)
    return Gaps(questions_read=len(questions), unanswered=len(unanswered), groups=groups, ungrouped=alone)
