"""The help center: collections of articles, each article written in one or more languages.

An article (``HelpArticle``) is the language-free thing ("how returns work"); each language version
(``HelpTranslation``) has its own slug, a working copy an editor changes freely and a published copy the
public reads. Publishing copies the working copy over the published one, so a published article can be
reworked without the public seeing half-finished text. Every save, publication and withdrawal leaves a
``HelpRevision``. A changed slug leaves its former address behind (``HelpOld*Slug``), which the public pages
answer with a redirect to the current one.

Visitors' use of the help center (searches, article views, votes) is grouped in ``HelpSession`` rows: the
self-service rate and the search reports are computed from them (helpcenter.reports). They hold the query
text and the session, nothing else about the visitor (no address, no browser).

The search index itself is not mapped here: it differs by database (an FTS5 table on SQLite, a ``tsvector``
column with a GIN index on PostgreSQL) and is created by migration 0016; ``SEARCH_INDEX_TABLES`` names it so
schema comparisons leave it alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow

# Tables and indexes (and, on SQLite, the FTS5 shadow tables) whose names start with these live outside the models.
SEARCH_INDEX_TABLES = ("help_search_documents", "help_search_trigrams")

# Languages an article can be written in, with the stemming each gets in the search index. Adding one needs
# a Snowball stemmer (PyStemmer) and a PostgreSQL text search configuration of the same name.
LANGUAGES: dict[str, str] = {"en": "english", "de": "german"}
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "Deutsch"}


class HelpCenter(Base):
    """A workspace's help center settings; a workspace without a row has the defaults."""

    __tablename__ = "help_centers"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Shown as the page heading and in every page title; the workspace's name + " Help Center" when empty.
    title: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(String(500), default="")
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    # A host name ("help.example.com") that serves this help center at its root, when the business points it here.
    custom_domain: Mapped[str | None] = mapped_column(String(253), unique=True, default=None)
    # Off: the public pages answer 404 and the widget suggests nothing; editors keep writing.
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    # The widget suggests articles while a visitor types a question, before a chat starts.
    widget_suggestions: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class HelpCollection(Base):
    """A group of articles (a category), named in each language the help center has."""

    __tablename__ = "help_collections"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    # {"en": "Returns", "de": "Rücksendungen"}: a language without a name falls back to the default language's.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class HelpArticle(Base):
    __tablename__ = "help_articles"
    __table_args__ = (Index("ix_help_articles_workspace_collection", "workspace_id", "collection_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    # No collection: listed under "Other articles" (and a collection's removal leaves its articles in place).
    collection_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("help_collections.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The conversation an agent's reply was turned into this article from, kept so editors can read the context.
    source_conversation_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="SET NULL"), default=None
    )
    created_by_agent_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpTranslation(Base):
    """One language version of an article: its working copy and, once published, its published copy."""

    __tablename__ = "help_translations"
    __table_args__ = (
        UniqueConstraint("article_id", "locale"),
        UniqueConstraint("workspace_id", "locale", "slug"),
        Index("ix_help_translations_workspace_published", "workspace_id", "locale", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("help_articles.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    slug: Mapped[str] = mapped_column(String(160))
    # The working copy: what editors see and change.
    title: Mapped[str] = mapped_column(String(200))
    # One or two sentences: the meta description of the public page and the line under the title in lists.
    description: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # The published copy, null until first published and again once withdrawn: the only text the public sees.
    published_title: Mapped[str | None] = mapped_column(String(200), default=None)
    published_description: Mapped[str | None] = mapped_column(String(300), default=None)
    published_html: Mapped[str | None] = mapped_column(Text, default=None)  # rendered and sanitised once, on publish
    published_text: Mapped[str | None] = mapped_column(Text, default=None)  # the body as plain text, for snippets
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The working copy differs from the published one ("Published, with unpublished changes").
    has_unpublished_changes: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last change of the working copy: the public page shows published_at ("Updated …").
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class HelpOldArticleSlug(Base):
    """A slug a language version had before: its old address answers 301 with the current one
    (helpcenter.old_addresses). One row per former address, pointing at the version, never at another slug."""

    __tablename__ = "help_old_article_slugs"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), primary_key=True)
    translation_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("help_translations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it stopped being the address


class HelpOldCollectionSlug(Base):
    """A slug a collection had before (collections have one slug in every language)."""

    __tablename__ = "help_old_collection_slugs"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("help_collections.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpOldWorkspaceSlug(Base):
    """A slug a workspace had before: ``/help/OLD/…`` answers with ``/help/CURRENT/…``. Workspace slugs are one
    namespace across all workspaces, so a former one is looked up by itself alone."""

    __tablename__ = "help_old_workspace_slugs"

    slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpRevision(Base):
    """Who changed what: the working copy as it was after each save, publication or withdrawal."""

    __tablename__ = "help_revisions"
    __table_args__ = (UniqueConstraint("translation_id", "number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    translation_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("help_translations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # created, saved, published, unpublished, restored
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The agent's name, or "API key NAME": kept as text so the history survives the agent's removal.
    actor: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpImage(Base):
    """An image uploaded for articles; its bytes are in the attachment storage under ``storage_key``."""

    __tablename__ = "help_images"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpSearchWord(Base):
    """A word of a published article in one language: the vocabulary that misspelt query words are corrected to."""

    __tablename__ = "help_search_words"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    word: Mapped[str] = mapped_column(String(80), primary_key=True)


class HelpSession(Base):
    """One visitor's self-service visit: from a first search until 30 minutes pass without activity.

    ``visitor_id`` is the widget's visitor (none on the public help center, which sets no cookie). The
    self-service rate counts sessions with a search, and of them those where an article was opened and the
    visitor started no chat within 24 hours of the first opening.
    """

    __tablename__ = "help_sessions"
    __table_args__ = (
        Index("ix_help_sessions_workspace_started", "workspace_id", "started_at"),
        Index("ix_help_sessions_visitor_last_seen", "visitor_id", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    visitor_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("visitors.id", ondelete="CASCADE"), default=None
    )
    source: Mapped[str] = mapped_column(String(20))  # widget, help_center
    locale: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    searched: Mapped[bool] = mapped_column(Boolean, default=False)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when the visitor went on to a chat from the widget's suggestions (the question carried over).
    continued_to_chat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class HelpSearch(Base):
    """A query typed by a visitor (or an agent), with what it found: the reports' top and no-result searches."""

    __tablename__ = "help_searches"
    __table_args__ = (Index("ix_help_searches_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("help_sessions.id", ondelete="CASCADE"), index=True, default=None
    )
    source: Mapped[str] = mapped_column(String(20))  # widget, help_center, inbox
    locale: Mapped[str] = mapped_column(String(10))
    query: Mapped[str] = mapped_column(String(200))
    # Lower-cased, spaces collapsed: "Return  policy" and "return policy" count as one search in the reports.
    normalized_query: Mapped[str] = mapped_column(String(200))
    result_count: Mapped[int] = mapped_column(Integer)
    first_result_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("help_translations.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpArticleView(Base):
    __tablename__ = "help_article_views"
    __table_args__ = (Index("ix_help_article_views_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    translation_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("help_translations.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("help_sessions.id", ondelete="CASCADE"), index=True, default=None
    )
    source: Mapped[str] = mapped_column(String(20))  # widget, help_center
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpVote(Base):
    """ "Did this answer your question?": one answer per session and article; a second answer replaces the first."""

    __tablename__ = "help_votes"
    __table_args__ = (
        UniqueConstraint("session_id", "translation_id"),
        Index("ix_help_votes_translation", "translation_id", "helpful"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    translation_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("help_translations.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("help_sessions.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
