"""Each shop's documented signature scheme, checked on the raw body before anything is parsed.

- Shopify: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(secret, raw body)).
- WooCommerce: ``X-WC-Webhook-Signature`` is the same construction with the webhook's secret.
- Any other shop (generic): Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``),
  verified by the ``standardwebhooks`` package, which also refuses timestamps more than five minutes off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from frontdesk.connections.models import ShopKind

SIGNATURE_HEADERS = {
    ShopKind.shopify: "x-shopify-hmac-sha256",
    ShopKind.woocommerce: "x-wc-webhook-signature",
    ShopKind.generic: "webhook-signature",
}


def hmac_base64(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): what Shopify and WooCommerce send."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_signed(kind: ShopKind, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether ``body`` carries a valid signature of ``secret`` in the shop's scheme (headers in lower case)."""
    if kind is ShopKind.generic:
        try:
            Webhook(secret).verify(body, dict(headers), json_parse=False)
        except (WebhookVerificationError, ValueError):
            return False
        return True
    given = headers.get(SIGNATURE_HEADERS[kind], "")
    # Compared as bytes in constant time; a header with non-ASCII text is simply wrong.
    return hmac.compare_digest(given.encode("latin-1", "replace"), hmac_base64(secret, body).encode())
