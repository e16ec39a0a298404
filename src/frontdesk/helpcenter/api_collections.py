"""The help center's collections in the REST API (/api/v1/help/collections…).

Apart from ``api`` (articles, their language versions, publishing, search) because collections are their own
resource with their own service (``help_collections``); same prefix, tag and roles: reads need the agent role,
writes the editor role or admin.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from frontdesk.deps import DbSession, HelpEditor, PathId
from frontdesk.helpcenter import help_collections
from frontdesk.helpcenter.api import Reader
from frontdesk.helpcenter.models import HelpCollection
from frontdesk.helpcenter.schemas import CollectionCreate, CollectionRead, CollectionUpdate

router = APIRouter(prefix="/api/v1/help", tags=["help center"])


def _collection(collection: HelpCollection) -> CollectionRead:
    return CollectionRead.model_validate(collection, from_attributes=True)


@router.get("/collections", response_model=list[CollectionRead], summary="Collections, in their order")
async def list_collections(session: DbSession, principal: Reader) -> list[CollectionRead]:
    rows = await help_collections.list_collections(session=session, workspace_id=principal.workspace_id)
    return [_collection(c) for c in rows]


@router.post("/collections", response_model=CollectionRead, status_code=201, summary="Create a collection")
async def create_collection(data: CollectionCreate, session: DbSession, principal: HelpEditor) -> CollectionRead:
    collection = await help_collections.do_create_collection(
        session=session,
        workspace_id=principal.workspace_id,
        names=data.names,
        descriptions=data.descriptions,
        slug=data.slug,
        position=data.position,
    )
    await session.commit()
    return _collection(collection)


@router.get("/collections/{collection_id}", response_model=CollectionRead, summary="A collection")
async def read_collection(collection_id: PathId, session: DbSession, principal: Reader) -> CollectionRead:
    return _collection(
        await help_collections.get_collection(
            session=session, workspace_id=principal.workspace_id, collection_id=collection_id
        )
    )


@router.patch("/collections/{collection_id}", response_model=CollectionRead, summary="Rename or move a collection")
async def update_collection(
    collection_id: PathId, data: CollectionUpdate, session: DbSession, principal: HelpEditor
) -> CollectionRead:
    collection = await help_collections.do_update_collection(
        session=session,
        workspace_id=principal.workspace_id,
        collection_id=collection_id,
        names=data.names,
        descriptions=data.descriptions,
        slug=data.slug,
        position=data.position,
    )
    await session.commit()
    return _collection(collection)


@router.delete(
    "/collections/{collection_id}",
    status_code=204,
    summary="Delete a collection (its articles stay, without a collection)",
)
async def delete_collection(collection_id: PathId, session: DbSession, principal: HelpEditor) -> Response:
    await help_collections.do_delete_collection(
        session=session, workspace_id=principal.workspace_id, collection_id=collection_id
    )
    await session.commit()
    return Response(status_code=204)
