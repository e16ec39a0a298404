"""Checks of identifiers that have a standard: e-mail, phone, ISO 3166, VAT and EORI numbers.

Each function returns the canonical form or raises ``ValueError`` with a message a person can act on.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from stdnum import vatin
from stdnum.exceptions import ValidationError as StdnumValidationError


def normalize_email(value: str) -> str:
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid e-mail address: {exc}") from None
    return result.normalized


def email_key(email: str) -> str:
    """The form under which e-mail addresses are compared: unique per workspace, ignoring case."""
    return email.strip().lower()


def normalize_phone(value: str, country: str | None) -> str:
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        hint = "" if country else " (add a +country prefix or set the contact's country)"
        raise ValueError(f"{value!r} is not a phone number{hint}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=512)
def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
        return code
    raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, FR, US)")


@lru_cache(maxsize=4096)
def normalize_region(value: str, country: str | None) -> str:
    code = value.strip().upper()
    subdivision = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if subdivision is None:
        raise ValueError(f"{value!r} is not an ISO 3166-2 region code (e.g. DE-BY, US-CA)")
    if country is not None and subdivision.country_code != country:
        raise ValueError(f"region {code} is not in country {country}")
    return code


def normalize_vat_number(value: str) -> str:
    try:
        return str(vatin.validate(value))
    except StdnumValidationError as exc:
        raise ValueError(f"{value!r} is not a valid VAT number: {exc}") from None


# An EORI number is an ISO country code and a national identifier of at most 15 characters
# (Commission Implementing Regulation (EU) 2015/2447). python-stdnum has no EORI module, so the
# structure is checked here and the national part, where it is a VAT number, with stdnum's VAT rules.
_EORI_SHAPE = re.compile(r"^([A-Z]{2})([A-Z0-9]{1,15})$")
_EORI_COUNTRIES_USING_VAT = {
    "AT",
    "BE",
    "CY",
    "CZ",
    "DK",
    "EE",
    "EL",
    "FI",
    "HR",
    "LU",
    "LV",
    "MT",
    "NL",
    "PT",
    "SI",
    "SK",
}


def normalize_eori_number(value: str) -> str:
    compact = re.sub(r"[\s.\-/]", "", value).upper()
    match = _EORI_SHAPE.match(compact)
    if match is None:
        raise ValueError(
            f"{value!r} is not a valid EORI number: expected a 2-letter country code and up to 15 letters or digits"
        )
    country, national = match.groups()
    if country not in {"XI", "EL"} and pycountry.countries.get(alpha_2=country) is None:
        raise ValueError(f"{value!r} is not a valid EORI number: {country} is not a country code")
    if country in {"GB", "XI"} and not re.fullmatch(r"\d{12}|\d{15}", national):
        raise ValueError(f"{value!r} is not a valid EORI number: {country} numbers have 12 or 15 digits")
    if country in _EORI_COUNTRIES_USING_VAT:
        try:
            vatin.validate(compact)
        except StdnumValidationError:
            raise ValueError(
                f"{value!r} is not a valid EORI number: in {country} it is the VAT number, and this one is not valid"
            ) from None
    return compact
