"""Referrals: every customer's code and link, and the new customers attributed to them."""
