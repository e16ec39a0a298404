# ruff: noqa: E501  (an article per line reads better than wrapped prose)
"""A web shop's help center (32 articles, 8 of them German) and the queries whose best answer is known.

Used by tests/helpcenter/test_search_relevance.py and by benchmarks/help_search.py (among noise articles).
The queries cover stemmed forms, natural questions, German, typos and a word that is in one article's title
and in another's body (the title one must win).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.helpcenter import service
from frontdesk.workspaces.service import Principal


@dataclass(frozen=True)
class FixtureArticle:
    key: str
    locale: str
    title: str
    body: str


@dataclass(frozen=True)
class FixtureQuery:
    locale: str
    query: str
    expected: str  # the key of the article that must come first
    why: str


ARTICLES: list[FixtureArticle] = [
    FixtureArticle("returns", "en", "How to return an item", "You can send back most items of an order within 30 days of delivery. Print the prepaid label from your account, pack the item in its original packaging and drop the parcel at any post office. Once the warehouse receives it we check it and start your refund."),
    FixtureArticle("refunds", "en", "When will I get my refund?", "Refunds are issued to the original payment method within 5 business days after the returned item arrives at our warehouse. Card refunds can take a few more days to show on your statement. We email you when the money is on its way."),
    FixtureArticle("shipping-times", "en", "Shipping times and delivery estimates", "Standard shipping takes 3-5 business days within the country and 5-10 days abroad. Express shipping arrives the next business day when ordered before 2 pm. Delivery estimates are shown at checkout."),
    FixtureArticle("order-ships", "en", "When does my order ship?", "Orders placed before 2 pm on a business day leave our warehouse the same day. Pre-orders ship on the release date. You get an email with a tracking number as soon as the parcel is handed to the carrier."),
    FixtureArticle("tracking", "en", "Track your parcel", "Every parcel has a tracking number. Open the link in your shipping confirmation email or enter the number on the carrier's website to see where your parcel is. Tracking can take 24 hours to update."),
    FixtureArticle("payment-methods", "en", "Which payment methods do you accept?", "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and bank transfer. Voucher codes are entered at checkout, before you choose how to pay. Cash on delivery is not available."),
    FixtureArticle("invoices", "en", "Download an invoice", "Your invoice is attached to the order confirmation email. You can also download every invoice as a PDF from Orders in your account. Need a company name on it? Add it in your billing address before ordering."),
    FixtureArticle("vat", "en", "VAT and sales tax", "Prices include VAT for customers in the EU. Business customers with a valid VAT ID can order without VAT: enter the ID at checkout and the tax is removed. Orders shipped outside the EU are exempt from EU VAT but import duties may apply."),
    FixtureArticle("password", "en", "Reset your password", "Forgot your password? Click Sign in, then Forgot password, and enter your email address. We send you a link that is valid for one hour. Choose a new password with at least 10 characters."),
    FixtureArticle("gift-cards", "en", "Gift cards and vouchers", "Gift cards are available from 10 to 500 euros and never expire. Redeem a gift card at checkout by entering its code. The remaining balance stays on the card for your next order."),
    FixtureArticle("warranty", "en", "Warranty and repairs", "All products come with a two-year warranty against manufacturing defects. If something breaks, contact us with your order number and a photo of the defect; we repair or replace the product free of charge."),
    FixtureArticle("size-guide", "en", "Size guide: find your size", "Measure your chest, waist and hips and compare them with the size chart on each product page. Between two sizes? Choose the larger one for a relaxed fit. Shoes run true to size."),
    FixtureArticle("cancel-order", "en", "Cancel an order", "You can cancel an order within one hour of placing it from Orders in your account. After that the order is being packed; refuse the delivery or return the items instead."),
    FixtureArticle("change-address", "en", "Change your delivery address", "The delivery address can be changed until the order ships. Open the order in your account and choose Edit address. After dispatch, contact the carrier to redirect the parcel."),
    FixtureArticle("damaged", "en", "My item arrived damaged", "Sorry about that! Take a photo of the damaged item and the packaging and send it to us within 14 days. We send a replacement at no cost or refund you in full."),
    FixtureArticle("missing-parcel", "en", "My parcel has not arrived", "Check the tracking page first. If the parcel shows as delivered but you cannot find it, ask your neighbours and check safe places. Still missing after two days? Contact us and we open an investigation with the carrier."),
    FixtureArticle("exchange", "en", "Exchange an item for another size or colour", "Exchanges are free. Start a return from your account, choose Exchange and pick the new size or colour. We ship the replacement as soon as the original item is on its way back."),
    FixtureArticle("newsletter", "en", "Unsubscribe from the newsletter", "Every newsletter has an unsubscribe link at the bottom. You can also turn off marketing emails in your account settings under Communication preferences."),
    FixtureArticle("delete-account", "en", "Delete your account", "To delete your account and personal data, go to Account settings and choose Delete account. Open orders must be completed first. Invoices are kept for ten years as the law requires."),
    FixtureArticle("international", "en", "Do you ship internationally?", "We deliver to all EU countries, the United Kingdom, Switzerland, Norway and the United States. Customs fees for deliveries outside the EU are paid by the recipient."),
    FixtureArticle("discount-codes", "en", "Discount codes are not working", "A discount code cannot be combined with other promotions and is not valid on gift cards. Check the expiry date and minimum order value printed with the code."),
    FixtureArticle("store-pickup", "en", "Click and collect in store", "Choose pickup at checkout to collect your order in one of our stores, free of charge. We email you when it is ready; bring the email and a photo ID. Orders are held for 7 days."),
    FixtureArticle("care", "en", "Washing and care instructions", "Wash cotton garments at 30 degrees inside out and dry flat. Wool and cashmere are hand wash only. The care label inside each garment has the details."),
    FixtureArticle("loyalty", "en", "Loyalty points and rewards", "Earn one point for every euro spent. 100 points turn into a 5 euro reward at checkout. Points expire after 24 months without an order."),
    FixtureArticle("de-returns", "de", "Rücksendung eines Artikels", "Die meisten Artikel können Sie innerhalb von 30 Tagen zurückschicken. Drucken Sie das Etikett in Ihrem Kundenkonto aus und geben Sie das Paket bei der Post ab. Nach der Prüfung erstatten wir den Betrag."),
    FixtureArticle("de-refunds", "de", "Wann bekomme ich mein Geld zurück?", "Die Erstattung erfolgt innerhalb von 5 Werktagen nach Eingang der Rücksendung auf die ursprüngliche Zahlungsart. Bei Kreditkarten kann die Gutschrift einige Tage länger dauern."),
    FixtureArticle("de-shipping", "de", "Lieferzeiten und Versandkosten", "Der Standardversand dauert 2 bis 4 Werktage. Ab einem Bestellwert von 50 Euro ist der Versand kostenlos, darunter kostet er 4,90 Euro. Expresslieferungen kommen am nächsten Werktag."),
    FixtureArticle("de-payment", "de", "Zahlungsarten", "Sie können mit Kreditkarte, PayPal, Sofortüberweisung oder auf Rechnung bezahlen. Gutscheine lösen Sie an der Kasse vor der Wahl der Zahlungsart ein."),
    FixtureArticle("de-password", "de", "Passwort zurücksetzen", "Passwort vergessen? Klicken Sie auf Anmelden und dann auf Passwort vergessen. Wir senden Ihnen einen Link an Ihre E-Mail-Adresse, der eine Stunde gültig ist."),
    FixtureArticle("de-invoice", "de", "Rechnung herunterladen", "Die Rechnung finden Sie als PDF in Ihrem Kundenkonto unter Bestellungen. Außerdem hängt sie an der Bestellbestätigung."),
    FixtureArticle("de-warranty", "de", "Garantie und Reparaturen", "Auf alle Produkte gewähren wir zwei Jahre Garantie. Schicken Sie uns bei einem Defekt ein Foto und Ihre Bestellnummer; wir reparieren oder ersetzen das Produkt kostenlos."),
    FixtureArticle("de-tracking", "de", "Sendungsverfolgung", "Mit der Sendungsnummer aus der Versandbestätigung sehen Sie auf der Seite des Paketdienstes, wo sich Ihr Paket befindet."),
]  # fmt: skip

QUERIES: list[FixtureQuery] = [
    FixtureQuery("en", "refund", "refunds", "title word"),
    FixtureQuery("en", "refunded", "refunds", "stemmed form"),
    FixtureQuery("en", "how do I return my order", "returns", "natural question with stop words"),
    FixtureQuery("en", "returning an item", "returns", "stemmed form of the title"),
    FixtureQuery("en", "shipping time", "shipping-times", "stemmed form, title"),
    FixtureQuery("en", "when will my order be shipped", "order-ships", "'shipped' vs 'ship' in a question"),
    FixtureQuery("en", "track parcel", "tracking", "title words"),
    FixtureQuery("en", "paypal", "payment-methods", "body word"),
    FixtureQuery("en", "invoice pdf", "invoices", "more matched words"),
    FixtureQuery("en", "VAT ID", "vat", "short word"),
    FixtureQuery("en", "forgot password", "password", "title and body"),
    FixtureQuery("en", "voucher", "gift-cards", "in one title and in another article's body: the title wins"),
    FixtureQuery("en", "warranty", "warranty", "title word"),
    FixtureQuery("en", "what size should I choose", "size-guide", "natural question"),
    FixtureQuery("en", "cancel my order", "cancel-order", "title words"),
    FixtureQuery("en", "change delivery address", "change-address", "title words"),
    FixtureQuery("en", "item arrived broken damaged", "damaged", "more matched words"),
    FixtureQuery("en", "parcel never arrived", "missing-parcel", "question"),
    FixtureQuery("en", "exchange for a different size", "exchange", "title word"),
    FixtureQuery("en", "unsubscribe", "newsletter", "title word"),
    FixtureQuery("en", "delete my account", "delete-account", "title words"),
    FixtureQuery("en", "do you deliver to Switzerland", "international", "body word"),
    FixtureQuery("en", "discount code not working", "discount-codes", "title words"),
    FixtureQuery("en", "collect in store", "store-pickup", "title words"),
    FixtureQuery("en", "how to wash wool", "care", "stemmed 'washing', body word"),
    FixtureQuery("en", "loyalty points", "loyalty", "title words"),
    FixtureQuery("en", "refnud", "refunds", "typo: swapped letters"),
    FixtureQuery("en", "pasword", "password", "typo: missing letter"),
    FixtureQuery("en", "warrenty", "warranty", "typo: wrong vowel"),
    FixtureQuery("en", "how do I reset my pasword", "password", "typo inside a question"),
    FixtureQuery("de", "Rücksendungen", "de-returns", "German plural of the title word"),
    FixtureQuery("de", "Lieferzeit", "de-shipping", "German singular of the title word"),
    FixtureQuery("de", "Wie setze ich mein Passwort zurück", "de-password", "German question"),
    FixtureQuery("de", "Rechnungen", "de-invoice", "German plural"),
    FixtureQuery("de", "Garantie", "de-warranty", "German title word"),
    FixtureQuery("de", "Passwrot", "de-password", "German typo: swapped letters"),
]


async def create_fixture_articles(
    *, session: AsyncSession, workspace_id: int, by: Principal, articles: list[FixtureArticle] | None = None
) -> dict[str, int]:
    """Creates and publishes the articles (each language version a separate article); key -> translation id."""
    ids: dict[str, int] = {}
    for article in ARTICLES if articles is None else articles:
        translation = await service.do_create_article(
            session=session,
            workspace_id=workspace_id,
            by=by,
            locale=article.locale,
            title=article.title,
            body=article.body,
        )
        await service.do_publish(session=session, workspace_id=workspace_id, translation_id=translation.id, by=by)
        ids[article.key] = translation.id
    return ids
