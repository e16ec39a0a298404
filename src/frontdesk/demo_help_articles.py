"""The demo shop's help center texts: collections and articles (English, some also in German).

Each article is ``(key, collection, title, description, body)``; ``[text](article:KEY)`` in a body links to
another article by key and becomes ``article:ID`` when the demo is created. ``GERMAN`` holds the German versions
of some articles by key. Nothing here mentions Klarna, invoices for companies or changing the delivery address
after ordering: those are the demo's content gaps.
"""

from __future__ import annotations

COLLECTIONS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("orders", {"en": "Orders & shipping", "de": "Bestellung & Versand"},
     {"en": "Placing an order, delivery times and tracking", "de": "Bestellen, Lieferzeiten und Sendungsverfolgung"}),
    ("returns", {"en": "Returns & refunds", "de": "Rücksendungen & Erstattungen"},
     {"en": "Sending something back and getting your money", "de": "Zurückschicken und Geld zurück"}),
    ("payments", {"en": "Payments & invoices", "de": "Zahlung & Rechnungen"},
     {"en": "How to pay and where to find your receipt", "de": "Bezahlen und Belege"}),
    ("account", {"en": "Account", "de": "Kundenkonto"},
     {"en": "Signing in, passwords and your data", "de": "Anmelden, Passwort und Ihre Daten"}),
    ("products", {"en": "Products & sizing", "de": "Produkte & Größen"},
     {"en": "Teas, coffees, bag sizes and grinds", "de": "Tee, Kaffee, Packungsgrößen und Mahlgrade"}),
    ("business", {"en": "Business customers", "de": "Geschäftskunden"},
     {"en": "Trade prices and buying for your café or office", "de": "Händlerpreise für Café und Büro"}),
]  # fmt: skip

Article = tuple[str, str, str, str, str]

ARTICLES: list[Article] = [
    ("delivery-times", "orders", "Delivery times and costs",
     "How long delivery takes to Germany, Austria, Switzerland and the rest of the EU, and what shipping costs.",
     """We pack every order within **2 working days** and send you a tracking link by e-mail.

## Delivery times

| Destination | Working days | Shipping |
|---|---|---|
| Germany | 1-2 | €4.90, free from €40 |
| Austria | 3-4 | €7.90, free from €60 |
| Switzerland | 4-6 | €12.90 |
| Rest of the EU | 3-7 | €9.90 |

Orders placed before 1 pm on a working day usually leave the same day.

See also [Tracking your parcel](article:tracking)."""),
    ("tracking", "orders", "Tracking your parcel",
     "Where to find the tracking link and what each tracking status means.",
     """As soon as your parcel leaves us you get an e-mail with a **tracking link**.

## What the statuses mean
- **Label created**: we have packed your order; the carrier has not scanned it yet.
- **In transit**: the parcel is on its way.
- **Out for delivery**: it arrives today.
- **Delivered**: left at your door, with a neighbour or at a parcel shop (the e-mail says where).

No tracking e-mail after 3 working days? Check your spam folder, then write to us in the chat."""),
    ("order-status", "orders", "Where is my order?",
     "Check the status of an order that has not arrived yet.",
     """1. Open the confirmation e-mail and follow **View order**.
2. The order page shows whether it is *being packed*, *shipped* or *delivered*.
3. Shipped orders have a tracking link: see [Tracking your parcel](article:tracking).

If the tracking has not changed for 5 working days, tell us: we will ask the carrier or send a new parcel."""),
    ("cancel-order", "orders", "Cancelling an order",
     "Cancel an order before it ships, and what to do once it has shipped.",
     """You can cancel an order as long as it is **not yet packed**: open the order page and choose **Cancel order**.

Once it has shipped, it can no longer be cancelled; simply [return it](article:returns-how) for a full refund."""),
    ("packaging", "orders", "Our packaging",
     "Plastic-free, recyclable packaging and why your tea arrives in paper bags.",
     """All our parcels are **plastic-free**: paper tape, paper filling and compostable inner bags.

- Tea comes in resealable kraft bags with an aroma layer of plant cellulose.
- Coffee bags have a one-way valve so freshly roasted beans can breathe.
- The outer box is 100 % recycled cardboard."""),
    ("returns-how", "returns", "How returns work",
     "Return anything within 30 days: how to send it back and when you get your money.",
     """You can return anything within **30 days** of delivery, opened tea and coffee included.

## Step by step
1. Open your order and choose **Return items**.
2. Pick the items and a reason; you get a free return label by e-mail.
3. Drop the parcel at any DHL point.

Your refund follows within 5 working days of the parcel reaching us: see [Refund times](article:refund-times)."""),
    ("return-label", "returns", "Printing the return label",
     "Get and print the free return shipping label.",
     """The return label comes as a PDF attached to the return e-mail.

Print it on A4, fold it once and tape it over the old address label. No printer? Show the QR code in the e-mail
at the DHL counter instead."""),
    ("refund-times", "returns", "Refund times",
     "When the refund for a return or a cancelled order reaches your account.",
     """| Payment method | Refund arrives |
|---|---|
| Card | 3-5 working days |
| PayPal | 1-2 working days |
| Bank transfer | 3-5 working days |

We refund the way you paid. The shipping cost is refunded when you return the whole order."""),
    ("damaged", "returns", "Damaged or wrong items",
     "Something arrived broken or not as ordered: what to do.",
     """We are sorry! Send us a **photo** of the item and the box in the chat or by e-mail.

We send a replacement straight away; you do not need to return the damaged item."""),
    ("payment-methods", "payments", "Payment methods",
     "The ways you can pay: card, PayPal, Apple Pay, Google Pay and bank transfer.",
     """We accept:

- Visa, Mastercard and American Express
- PayPal
- Apple Pay and Google Pay
- Bank transfer (the order ships once the money arrives, usually after 1-2 days)

All card payments are protected by 3-D Secure."""),
    ("receipt", "payments", "Downloading your receipt",
     "Where to find the receipt (invoice) of an order as a PDF.",
     """Every order confirmation e-mail has the receipt attached as a **PDF**.

You can also download it later: open the order page and choose **Download receipt**."""),
    ("vouchers", "payments", "Vouchers and discount codes",
     "How to redeem a voucher or discount code at checkout.",
     """Enter the code in **Voucher or discount code** on the checkout page and choose **Apply**.

- One discount code per order; vouchers can be combined with it.
- Codes are not case-sensitive.
- A voucher's remaining value stays on it for the next order."""),
    ("charged-twice", "payments", "Charged twice for one order",
     "Why you may see two payments and when the second one disappears.",
     """Your bank may show a **reservation** and the payment for a moment. The reservation disappears by itself within
5 working days. If both amounts are still booked after that, send us the statement in the chat."""),
    ("create-account", "account", "Creating an account",
     "Why an account helps and how to create one.",
     """With an account you see your orders, reorder favourites and save addresses.

Choose **Sign in → Create account**, enter your e-mail address and confirm the link we send you."""),
    ("password-reset", "account", "Resetting your password",
     "Forgot your password? Reset it in two minutes.",
     """1. Choose **Sign in → Forgot password**.
2. Enter your e-mail address.
3. Follow the link in the e-mail within 1 hour and choose a new password.

No e-mail? Check the spam folder, then ask us in the chat."""),
    ("delete-account", "account", "Deleting your account and data",
     "How to close your account and what we keep.",
     """Choose **Account → Privacy → Delete account**. We delete your profile and addresses at once.

We must keep receipts for 10 years (tax law); they are no longer linked to a login."""),
    ("newsletter", "account", "Newsletter settings",
     "Subscribe to or unsubscribe from the newsletter.",
     """Every newsletter has an **Unsubscribe** link at the bottom.
You can also change it in **Account → Newsletter**."""),
    ("tea-storage", "products", "Storing tea and coffee",
     "Keep tea and coffee fresh: light, air, heat and smell.",
     """## Tea
Store tea dark, dry and away from strong smells; it keeps 12-24 months.

## Coffee
Beans are best within **6 weeks** of roasting. Keep the bag closed, at room temperature; not in the fridge."""),
    ("bag-sizes", "products", "Bag sizes",
     "Which sizes each tea and coffee comes in.",
     """| Product | Sizes |
|---|---|
| Loose tea | 50 g, 100 g, 250 g |
| Coffee beans | 250 g, 1 kg |
| Ground coffee | 250 g |

The 1 kg coffee bag is about 20 % cheaper per gram."""),
    ("grind", "products", "Choosing a grind",
     "Which grind suits your coffee maker.",
     """- **Espresso**: fine
- **Moka pot**: fine to medium
- **Filter / pour-over**: medium
- **French press / cold brew**: coarse

Not sure? Order beans and grind just before brewing: it tastes fresher."""),
    ("brewing", "products", "Brewing guide for tea",
     "Water temperature and steeping times for green, black and herbal tea.",
     """| Tea | Water | Time |
|---|---|---|
| Green (Sencha) | 70-80 °C | 1-2 min |
| Black | 95 °C | 3-4 min |
| Herbal | 100 °C | 5-8 min |

Use about 1 teaspoon (2-3 g) per cup."""),
    ("decaf", "products", "Decaffeinated coffee",
     "Our Swiss Water decaf: how it is made and which sizes there are.",
     """Our decaf beans are decaffeinated with the **Swiss Water** method: only water, no solvents.

They come in 250 g and 1 kg bags (see [Bag sizes](article:bag-sizes))."""),
    ("trade-prices", "business", "Trade prices for cafés and offices",
     "The trade discount from 10 kg a month and how to apply.",
     """From **10 kg a month** we give a 15 % trade discount on coffee and tea.

Write to us in the chat with your company name and expected volume; the sales team sends you the trade sheet."""),
    ("office-subscription", "business", "Office coffee subscription",
     "Regular deliveries of beans to your office.",
     """Choose a coffee, an amount and a rhythm (weekly, every 2 or 4 weeks). Pause or change it any time in your
account. Deliveries to Germany are free from 2 kg."""),
]  # fmt: skip

GERMAN: dict[str, tuple[str, str, str]] = {
    "delivery-times": ("Lieferzeiten und Versandkosten",
                       "Wie lange die Lieferung nach Deutschland, Österreich und in die Schweiz dauert.",
                       """Wir packen jede Bestellung innerhalb von **2 Werktagen**.

| Ziel | Werktage | Versand |
|---|---|---|
| Deutschland | 1-2 | 4,90 €, ab 40 € frei |
| Österreich | 3-4 | 7,90 €, ab 60 € frei |
| Schweiz | 4-6 | 12,90 € |"""),
    "tracking": ("Sendungsverfolgung", "Wo Sie den Link zur Sendungsverfolgung finden.",
                 "Sobald Ihr Paket unterwegs ist, bekommen Sie eine E-Mail mit dem **Tracking-Link**."),
    "returns-how": ("So funktioniert die Rücksendung",
                    "Alles innerhalb von 30 Tagen zurückschicken: so geht es.",
                    """Sie können alles innerhalb von **30 Tagen** zurückschicken.

1. Bestellung öffnen und **Artikel zurücksenden** wählen.
2. Kostenloses Rücksendeetikett per E-Mail erhalten.
3. Paket bei DHL abgeben."""),
    "refund-times": ("Dauer der Erstattung", "Wann das Geld nach einer Rücksendung ankommt.",
                     "Karte: 3-5 Werktage. PayPal: 1-2 Werktage. Überweisung: 3-5 Werktage."),
    "payment-methods": ("Zahlungsarten", "Karte, PayPal, Apple Pay, Google Pay und Überweisung.",
                        "Wir akzeptieren Visa, Mastercard, PayPal, Apple Pay, Google Pay und Überweisung."),
    "password-reset": ("Passwort zurücksetzen", "Passwort vergessen? In zwei Minuten neu setzen.",
                       "Wählen Sie **Anmelden → Passwort vergessen** und folgen Sie dem Link in der E-Mail."),
    "brewing": ("Zubereitung von Tee", "Wassertemperatur und Ziehzeit für grünen, schwarzen und Kräutertee.",
                "Grüntee: 70-80 °C, 1-2 Minuten. Schwarztee: 95 °C, 3-4 Minuten. Kräutertee: 100 °C, 5-8 Minuten."),
    "trade-prices": ("Händlerpreise für Cafés und Büros", "Ab 10 kg im Monat 15 % Rabatt.",
                     "Ab **10 kg im Monat** erhalten Sie 15 % Rabatt. Schreiben Sie uns im Chat."),
}  # fmt: skip

DRAFTS: list[Article] = [
    ("gift-cards", "payments", "Gift cards", "Buying and redeeming gift cards.",
     "Gift cards come as a PDF by e-mail, in values from €10 to €200. *(Draft: waiting for the new design.)*"),
    ("matcha", "products", "Preparing matcha", "Whisking matcha the traditional way.",
     "1. Sift 2 g of matcha into a bowl.\n2. Add 70 ml of water at 80 °C.\n3. Whisk in a W shape until foamy."),
    ("wholesale-terms", "business", "Wholesale terms", "Payment terms and minimum orders for resellers.",
     "TODO: minimum order, payment terms, delivery. Ask Lena for the current sheet."),
]  # fmt: skip

# The published article whose working copy has changes nobody has published yet.
CHANGED = ("returns-how", "How returns work (new return portal)")
# The published article whose slug an editor shortened afterwards: its first address redirects to the new one.
RENAMED = ("tracking", "parcel-tracking")

# What visitors search for in the widget: (query, weight, article key they open or None). Some misspelt, some
# about things no article covers (they find nothing and fill the "no result" list).
QUERIES: list[tuple[str, int, str | None]] = [
    ("return", 14, "returns-how"), ("returns", 8, "returns-how"), ("retrun", 3, "returns-how"),
    ("return label", 7, "return-label"), ("refund", 8, "refund-times"), ("delivery time", 9, "delivery-times"),
    ("delivery austria", 4, "delivery-times"), ("shipping costs", 6, "delivery-times"), ("tracking", 8, "tracking"),
    ("where is my order", 7, "order-status"), ("cancel order", 5, "cancel-order"), ("payment methods", 5,
    "payment-methods"), ("paypal", 5, "payment-methods"), ("receipt", 4, "receipt"), ("voucher", 4, "vouchers"),
    ("discount code", 3, "vouchers"), ("password", 5, "password-reset"), ("pasword reset", 2, "password-reset"),
    ("delete account", 2, "delete-account"), ("grind", 3, "grind"), ("bag sizes", 3, "bag-sizes"),
    ("decaf", 3, "decaf"), ("brewing green tea", 3, "brewing"), ("trade prices", 3, "trade-prices"),
    ("charged twice", 3, "charged-twice"), ("damaged", 3, "damaged"),
    ("klarna", 9, None), ("invoice for company", 6, None), ("change delivery address", 6, None),
    ("gift wrapping", 3, None), ("click and collect", 2, None), ("afterpay", 2, None),
]  # fmt: skip

# Chat questions no article answers: the content gaps (topic, questions).
GAP_QUESTIONS: list[str] = [
    "Can I get an invoice for my company with our VAT number?",
    "I need an invoice made out to my company, not to me",
    "Do you send invoices to companies with the VAT ID on them?",
    "Our accounting needs a company invoice for order 4411, possible?",
    "Can you put my company name on the invoice?",
    "How do I get an invoice for my company?",
    "I ordered yesterday, can I change the delivery address?",
    "Wrong delivery address on my order, can you change it?",
    "Can I still change the delivery address after ordering?",
    "I moved, please change the delivery address of my open order",
    "Change delivery address for order placed this morning?",
    "Can I pay with Klarna?",
    "Do you offer Klarna pay later?",
    "Is Klarna available at checkout?",
    "Klarna payment in 30 days possible?",
]
