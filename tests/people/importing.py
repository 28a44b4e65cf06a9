"""Import files for the tests: valid UPNs, and a SIMS-style export of any size."""

from people.importer import upn_check_letter


def upn(n: int) -> str:
    """A valid UPN (check letter right) for the n-th test learner."""
    rest = f"80120{n:07d}"
    return upn_check_letter(rest) + rest


SIMS_HEADER = (
    "UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg Group,"
    "Contact 1 Name,Contact 1 Relationship,Contact 1 Telephone,Contact 1 Email,"
    "Contact 1 Priority,Contact 1 Parental Responsibility,"
    "Contact 2 Name,Contact 2 Relationship,Contact 2 Telephone,Contact 2 Email,"
    "Contact 2 Priority,Contact 2 Parental Responsibility\n"
)


def sims_row(n: int, *, year: int | None = None, reg: str | None = None) -> str:
    year = year if year is not None else 1 + n % 6
    reg = reg or f"{year}{'ABC'[n % 3]}"
    family = n // 2  # siblings in pairs share their parents
    return (
        f"{upn(n)},Family{family},Child{n},,{1 + n % 28:02d}/0{1 + n % 9}/2016,{year},{reg},"
        f"Parent{family} Mother,Mother,07700 9{family:05d},mum{family}@example.org,1,Yes,"
        f"Parent{family} Father,Father,07700 8{family:05d},,2,Yes\n"
    )


def sims_file(count: int, start: int = 1) -> str:
    return SIMS_HEADER + "".join(sims_row(n) for n in range(start, start + count))
