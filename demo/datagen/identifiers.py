"""Tax ids, phone numbers and serial numbers unique by construction, and e-mail-safe slugs.

Derived from the row's own primary key through a bijection, so they never collide with other
generated rows (in this run or an earlier one) and need no lookup.
"""

import re
import unicodedata


def permute(value, modulus, multiplier, offset):
    return (value * multiplier + offset) % modulus


def polish_nip(key):
    for attempt in range(8):
        # Nine-digit body starting 1-9; a body whose checksum would be 10 is no valid NIP.
        body = str(100_000_000 + permute(key * 8 + attempt, 900_000_000, 387_420_491, 123_456_789))
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check != 10:
            return body + str(check)
    return body + "0"


def czech_ico(key):
    body = f"{permute(key, 10_000_000, 7_654_321, 2_345_678):07d}"
    total = sum(w * int(d) for w, d in zip(range(8, 1, -1), body, strict=True))
    return body + str((11 - total % 11) % 10)


def british_vat(key):
    body = f"{permute(key, 10_000_000, 9_765_431, 5_551_234):07d}"
    total = sum(w * int(d) for w, d in zip(range(8, 1, -1), body, strict=True))
    return f"GB{body}{-total % 97:02d}"


TAX_ID = {"PL": polish_nip, "CZ": czech_ico, "GB": british_vat}


def phone_body(key, *, contact):
    # Customers and contact persons draw from separate halves, so duplicate detection (which
    # compares the last nine digits) sees no false twins between them.
    if contact:
        body = 5_000_000 + permute(key, 5_000_000, 2_718_281, 314_159)
    else:
        body = permute(key, 5_000_000, 3_141_593, 271_828)
    return f"{body:07d}"


def ascii_slug(text):
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
