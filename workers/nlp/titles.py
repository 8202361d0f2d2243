"""Titles and role words (data only): what precedes a name and becomes one of its `roles`."""

from __future__ import annotations

# Nouns that make a phrase a role ("unification minister", "top aide", "governor").
ROLE_NOUNS = frozenset(
    """
    admiral adviser advisor aide ambassador analyst ayatollah brother captain chair
    chairman chairwoman chancellor chief colonel commander commentator congressman
    congresswoman counterpart daughter deputy director emir emperor envoy father
    founder general governor grandfather grandmother head husband king lawmaker leader
    legislator major marshal mayor minister mother negotiator official pope predecessor
    premier president prince queen secretary senator sheikh sister son spokesman
    spokesperson spokeswoman successor sultan wife
    """.split()
)

# Words that may stand in a title before a name: the role nouns, plus honorifics and the
# modifiers of titles ("Mr", "Foreign", "Supreme", "former").
TITLE_WORDS = ROLE_NOUNS | frozenset(
    """
    acting affairs army dame defence defense dr empress finance first foreign former
    gov interior justice lady leaders lieutenant lord madam military ministers miss
    mister mr mrs ms national navy officials party prime princess prof rep
    representative ruling security sen senior shah sir state supreme top trade
    unification vice
    """.split()
)

# Honorifics that carry a gender, for telling "Ms Park" from "Mr Park".
HONORIFIC_GENDER = {
    "mr": "m",
    "mister": "m",
    "sir": "m",
    "lord": "m",
    "mrs": "f",
    "ms": "f",
    "miss": "f",
    "madam": "f",
    "dame": "f",
    "lady": "f",
}

# A title phrase that is not an organisation even though it has a capital ("Secretary of State").
TITLE_PHRASES = (
    "secretary of state",
    "secretary of defense",
    "secretary of defence",
    "secretary-general",
    "secretary general",
    "minister of foreign affairs",
    "minister of defence",
    "minister of defense",
    "minister of state",
    "head of state",
    "chief of staff",
    "chairman of the joint chiefs of staff",
    "speaker of the house",
)
