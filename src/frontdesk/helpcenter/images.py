"""Images in articles: uploaded from the editor into the attachment storage, served publicly at /help-images/KEY.

Only raster images browsers show as they are (PNG, JPEG, GIF, WebP; never SVG, which can carry script), the
type read from the bytes (``storage.checks``), at most 5 MB.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import InvalidInput
from frontdesk.helpcenter.models import HelpImage
from frontdesk.storage import Storage, new_key
from frontdesk.storage.checks import check_file

MAX_IMAGE_BYTES = 5 * 1024 * 1024


def image_path(key: str) -> str:
    return f"/help-images/{key}"


async def do_add_image(
    *, session: AsyncSession, storage: Storage, workspace_id: int, data: bytes, filename: str | None
) -> HelpImage:
    """``data`` read as at most ``MAX_IMAGE_BYTES + 1`` bytes; ``InvalidInput`` on ``file`` when refused."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput("an image is at most 5 MB", field="file")
    checked = check_file(data, filename, max_bytes=MAX_IMAGE_BYTES)
    if not checked.type.is_image:
        raise InvalidInput("only images can go in an article: PNG, JPEG, GIF or WebP", field="file")
    key = new_key()
    await storage.put(key, checked.data, content_type=checked.content_type)
    image = HelpImage(
        workspace_id=workspace_id,
        storage_key=key,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
    )
    session.add(image)
    await session.flush()
    return image


def image_markdown(image: HelpImage) -> str:
    """What the editor inserts at the cursor: ``![name.png](/help-images/KEY)``, brackets taken out of the name."""
    alt = re.sub(r"[\[\]\\]", "", image.filename) or "image"
    return f"![{alt}]({image_path(image.storage_key)})"
