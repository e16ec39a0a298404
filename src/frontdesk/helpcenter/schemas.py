"""What the help center API accepts and returns (/api/v1/help/…, and the public /api/v1/public/{site_key}/help/…)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import IdRef, RequestModel

if TYPE_CHECKING:
    from frontdesk.helpcenter.search import SearchHit

# An article body is Markdown: longer than the 20,000 characters other free text is held to.
MAX_BODY = 100_000
Locale = Annotated[str, Field(min_length=2, max_length=10, description="A language code: en or de")]
Slug = Annotated[str, Field(min_length=1, max_length=160, description="Lower-case letters, digits, single hyphens")]
Names = Annotated[
    dict[Locale, Annotated[str, Field(max_length=200)]],
    Field(max_length=10, description='Per language, e.g. {"en": "Returns", "de": "Rücksendungen"}'),
]
Descriptions = Annotated[dict[Locale, Annotated[str, Field(max_length=500)]], Field(max_length=10)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=300)]
Body = Annotated[str, Field(max_length=MAX_BODY, description="Markdown")]
Position = Annotated[int, Field(ge=0, le=1_000_000)]


class CollectionCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    names: Names
    descriptions: Descriptions = {}
    slug: Slug | None = Field(default=None, description="Default: made from the first name")
    position: Position | None = Field(default=None, description="Default: after the last collection")


class CollectionUpdate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    names: Names | None = None
    descriptions: Descriptions | None = None
    slug: Slug | None = None
    position: Position | None = None


class CollectionRead(BaseModel):
    id: int
    slug: str
    names: dict[str, str]
    descriptions: dict[str, str]
    position: int
    created_at: datetime
    updated_at: datetime


class ArticleCreate(RequestModel):
    """An article's first language version, as a draft."""

    model_config = ConfigDict(str_strip_whitespace=True)

    locale: Locale
    title: Title
    body: Body = ""
    description: Description = ""
    collection_id: IdRef | None = None
    slug: Slug | None = Field(default=None, description="Default: made from the title")


class ArticleUpdate(RequestModel):
    """Moves the article: ``collection_id: null`` takes it out of its collection; a field left out is kept."""

    collection_id: IdRef | None = None
    position: Position | None = None


class TranslationCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    locale: Locale
    title: Title
    body: Body = ""
    description: Description = ""
    slug: Slug | None = Field(default=None, description="Default: made from the title")


class TranslationUpdate(RequestModel):
    """Changes the working copy; the public keeps the published copy until the next publication."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: Title | None = None
    body: Body | None = None
    description: Description | None = None
    slug: Slug | None = None


ArticleStatus = Literal["draft", "published", "changed"]


class PublishedCopy(BaseModel):
    title: str
    description: str
    html: str = Field(description="Rendered from the Markdown and sanitised when it was published")
    published_at: datetime


class TranslationSummary(BaseModel):
    locale: str
    slug: str
    status: ArticleStatus = Field(description="draft; published; changed: published, with unpublished changes")
    title: str = Field(description="The working copy's title")
    updated_at: datetime
    published_at: datetime | None


class TranslationRead(TranslationSummary):
    id: int
    article_id: int
    description: str
    body: str = Field(description="The working copy, in Markdown")
    published: PublishedCopy | None = Field(description="What the public sees; null for a draft")
    url: str | None = Field(description="The public page; null while it is a draft")
    updated_by: str
    created_at: datetime


class _Article(BaseModel):
    id: int
    collection_id: int | None
    position: int
    source_conversation_id: int | None = Field(description="The conversation a reply was turned into it from")
    created_at: datetime


class ArticleListItem(_Article):
    translations: list[TranslationSummary] = Field(description="Each language version, in a summary")


class ArticleRead(_Article):
    translations: list[TranslationRead]


class ArticlePage(BaseModel):
    items: list[ArticleListItem]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last")


class RevisionRead(BaseModel):
    number: int
    action: str = Field(description="created, saved, published, unpublished or restored")
    title: str
    description: str
    body: str
    actor: str
    created_at: datetime


# --- the public API (/api/v1/public/{site_key}/help/…): published copies only, no key ----------------------


class PublicCollectionRef(BaseModel):
    id: int
    slug: str
    name: str = Field(description="In the requested language (the default language's when it has none)")


class PublicCollectionRead(PublicCollectionRef):
    description: str
    position: int = Field(description="Collections are listed in this order")
    article_count: int = Field(description="Its articles published in the requested language")
    url: str = Field(description="Its public page")


class PublicCollectionList(BaseModel):
    locale: str = Field(description="The language listed: the one asked for, else the help center's default")
    items: list[PublicCollectionRead]


class PublicArticleListItem(BaseModel):
    article_id: int
    locale: str
    slug: str
    title: str = Field(description="The published title")
    description: str = Field(description="The published description (may be empty)")
    collection: PublicCollectionRef | None = Field(description="null: the article is in no collection")
    position: int = Field(description="The article's place in its collection")
    published_at: datetime = Field(description="When this copy was published: the public page's 'Updated' date")
    url: str = Field(description="The public page")


class PublicArticlePage(BaseModel):
    locale: str = Field(description="The language listed: the one asked for, else the help center's default")
    items: list[PublicArticleListItem]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last")


class PublicArticleRead(PublicArticleListItem):
    html: str = Field(
        description="The published copy, rendered from Markdown and sanitised when it was published (the public "
        "page's), with its links to other articles and its images made absolute on this server"
    )
    other_languages: dict[str, str] = Field(
        description="The other languages the article is published in: language code -> public page"
    )


class PublicSearchHit(BaseModel):
    article_id: int
    locale: str
    slug: str
    title: str
    description: str
    snippet_html: str = Field(description="Escaped text; only <mark> tags around the matched words")
    url: str
    published_at: datetime

    @classmethod
    def of(cls, hit: SearchHit, url: str) -> Self:
        """The answer's fields of a search hit; ``url`` is its public address."""
        return cls(**{name: getattr(hit, name) for name in cls.model_fields if name != "url"}, url=url)


class SearchHitRead(PublicSearchHit):
    """A hit in the keyed API: the public one plus the language version's id."""

    translation_id: int


class SearchResultsRead(BaseModel):
    query: str
    corrected_query: str | None = Field(description="The query with misspelt words corrected, when it was")
    total: int
    items: list[SearchHitRead]


class PublicSearchResults(BaseModel):
    query: str
    corrected_query: str | None = Field(description="The query with misspelt words corrected, when it was")
    locale: str = Field(description="The language searched: the one asked for, else the help center's default")
    total: int
    items: list[PublicSearchHit]
