"""Event triggers (data only): lemmas → CAMEO codes, with the objects some of them need.

A verb trigger is a list of senses tried in order; a sense with `objects` applies only when
the verb's object (or the object of `with`, for 'provide X with Y') is in one of those
classes, and the class may refine the CAMEO code. PLOVER type, mode and context come from
the CAMEO code through `schemas/data/plover.json`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Object classes (lemmas).
MATERIEL = frozenset(
    """troop soldier force weapon munition ammunition missile rocket shell drone arm artillery
    equipment vest tank jet aircraft warship system round launcher armament interceptor
    fighter bomber helicopter instructor adviser advisor trainer personnel vehicle""".split()
)
HUMANITARIAN = frozenset(
    """aid food medicine supply water shelter relief assistance convoy grain fuel vaccine
    tent blanket rescuer doctor medic""".split()
)
ECONOMIC = frozenset("loan fund money credit investment grant financing cash budget".split())
AGREEMENT = frozenset(
    """agreement pact treaty deal accord partnership memorandum declaration contract charter
    protocol""".split()
)
MEETING = frozenset(
    "talk summit meeting negotiation consultation discussion dialogue conversation call".split()
)
DRILL = frozenset("drill exercise maneuver manoeuvre wargame".split())
DEMONSTRATIONS = frozenset(
    """protest counter-protest rally demonstration march sit-in vigil walkout""".split()
)
SANCTIONS = frozenset("sanction embargo tariff restriction ban boycott".split())
COOPERATION = frozenset(
    """cooperation co-operation tie relation relationship partnership friendship collaboration
    exchange alliance interaction coordination""".split()
)
PRISONERS = frozenset("prisoner hostage detainee captive activist journalist".split())
REPRESSION = frozenset("gas bullet cannon baton truncheon pellet".split())
STRIKES = frozenset("strike walkout stoppage boycott".split())
CROSSINGS = frozenset("crossing border road highway port airspace bridge checkpoint".split())
PEOPLE = frozenset(
    """diplomat envoy ambassador attache journalist national citizen official staff
    worker correspondent""".split()
)
ENVOYS = frozenset("ambassador envoy diplomat representative".split())
LICENCES = frozenset("licence license permit accreditation concession".split())
# Where troops go when they are sent to a front of one's own, not to another country.
FRONTS = frozenset("border frontier area region zone front".split())
SUPPORT_NOUNS = frozenset("support solidarity backing".split())


@dataclass(frozen=True)
class Sense:
    """One reading of a trigger: its CAMEO code, and the objects it needs, if any."""

    cameo: str
    objects: dict[frozenset[str], str] | None = None  # object class → CAMEO code
    target_preps: tuple[str, ...] = ("with", "to", "against", "on", "at", "for")
    confidence: float = 0.9


def _objects(*pairs: tuple[frozenset[str], str]) -> dict[frozenset[str], str]:
    return dict(pairs)


_NEAR = ("near", "along", "off", "around", "against", "on")
_AID = _objects((MATERIEL, "072"), (HUMANITARIAN, "073"), (ECONOMIC, "071"))

VERBS: dict[str, list[Sense]] = {
    # CONSULT
    "meet": [Sense("040")],
    "talk": [Sense("040", target_preps=("with",))],
    "discuss": [Sense("040", target_preps=("with",))],
    "negotiate": [Sense("046", target_preps=("with",))],
    "consult": [Sense("040")],
    "visit": [Sense("042")],
    "host": [Sense("043")],
    "phone": [Sense("041")],
    "hold": [
        Sense("040", objects=_objects((MEETING, "040"))),
        Sense("141", objects=_objects((DEMONSTRATIONS, "141")), target_preps=("against",)),
        Sense("150", objects=_objects((DRILL, "150")), target_preps=_NEAR),
    ],
    "stage": [
        Sense("150", objects=_objects((DRILL, "150")), target_preps=_NEAR),
        Sense("141", objects=_objects((DEMONSTRATIONS, "141")), target_preps=("against",)),
    ],
    "conduct": [Sense("150", objects=_objects((DRILL, "150")), target_preps=_NEAR)],
    # SUPPORT
    "sign": [Sense("057", objects=_objects((AGREEMENT, "057")))],
    "praise": [Sense("051")],
    "hail": [Sense("051")],
    "laud": [Sense("051")],
    "commend": [Sense("051")],
    "thank": [Sense("051")],
    "congratulate": [Sense("051")],
    "endorse": [Sense("051")],
    "support": [Sense("051", confidence=0.8)],
    "back": [Sense("051", confidence=0.7)],
    "recognise": [Sense("054")],
    "recognize": [Sense("054")],
    "apologise": [Sense("055")],
    "apologize": [Sense("055")],
    # AGREE (intent) is handled by the pledge frame; 'agree' itself:
    "agree": [Sense("030", confidence=0.8)],
    # COOPERATE
    "cooperate": [Sense("060", target_preps=("with",))],
    # AID
    "send": [Sense("070", objects=_AID)],
    "deliver": [Sense("070", objects=_AID)],
    "supply": [Sense("070", objects=_AID)],
    "provide": [Sense("070", objects=_AID)],
    "give": [Sense("070", objects=_AID)],
    "ship": [Sense("070", objects=_AID)],
    "transfer": [Sense("070", objects=_AID)],
    "dispatch": [Sense("070", objects=_AID)],
    "donate": [Sense("070", objects=_AID)],
    "airlift": [Sense("073")],
    # RETREAT / CONCEDE
    "release": [Sense("084", objects=_objects((PRISONERS, "084")))],
    "free": [Sense("084", objects=_objects((PRISONERS, "084")))],
    "withdraw": [
        Sense("161", objects=_objects((ENVOYS, "161")), target_preps=("from",)),
        Sense("087", objects=_objects((MATERIEL, "087"))),
    ],
    "revoke": [Sense("172", objects=_objects((LICENCES, "172")), target_preps=("of",))],
    "lift": [Sense("085", objects=_objects((SANCTIONS, "085")))],
    "ease": [Sense("085", objects=_objects((SANCTIONS, "085")))],
    "concede": [Sense("080")],
    # REQUEST
    "urge": [Sense("100")],
    "demand": [Sense("100")],
    "ask": [Sense("100", confidence=0.7)],
    "appeal": [Sense("100", target_preps=("to",))],
    "request": [Sense("100")],
    "press": [Sense("100", confidence=0.6)],
    # ACCUSE
    "accuse": [Sense("112")],
    "condemn": [Sense("111")],
    "denounce": [Sense("111")],
    "criticise": [Sense("111")],
    "criticize": [Sense("111")],
    "slam": [Sense("111")],
    "blast": [Sense("111", confidence=0.6)],
    "rebuke": [Sense("111")],
    "blame": [Sense("112")],
    "decry": [Sense("111")],
    "lambast": [Sense("111")],
    "castigate": [Sense("111")],
    "investigate": [Sense("090")],
    "sue": [Sense("115")],
    # REJECT
    "reject": [Sense("120")],
    "rebuff": [Sense("120")],
    "dismiss": [Sense("120", confidence=0.6)],
    "veto": [Sense("120")],
    "refuse": [Sense("120", confidence=0.7)],
    # THREATEN
    "threaten": [Sense("130")],
    "warn": [Sense("130", confidence=0.6)],
    "retaliate": [Sense("130", confidence=0.7, target_preps=("against",))],
    # PROTEST
    "protest": [Sense("141")],
    "demonstrate": [Sense("141", confidence=0.7)],
    "rally": [Sense("141", confidence=0.7)],
    "march": [Sense("141", confidence=0.7)],
    "boycott": [Sense("143")],
    "riot": [Sense("145")],
    # MOBILIZE
    "mobilise": [Sense("154")],
    "mobilize": [Sense("154")],
    "deploy": [Sense("154", objects=_objects((MATERIEL, "154")))],
    "mass": [Sense("154", objects=_objects((MATERIEL, "154")))],
    # SANCTION / COERCE
    "sanction": [Sense("163")],
    "impose": [Sense("163", objects=_objects((SANCTIONS, "163")))],
    "expel": [Sense("174", objects=_objects((PEOPLE, "174"))), Sense("166")],
    "recall": [Sense("161", objects=_objects((ENVOYS, "161")), target_preps=("from",))],
    "deport": [Sense("174")],
    "arrest": [Sense("173")],
    "detain": [Sense("173")],
    "jail": [Sense("173")],
    "seize": [Sense("171")],
    "confiscate": [Sense("171")],
    "occupy": [Sense("192")],
    "blockade": [Sense("191")],
    "suspend": [Sense("160", objects=_objects((COOPERATION, "161"), (MEETING, "164")))],
    "sever": [Sense("161", objects=_objects((COOPERATION, "161")))],
    "cut": [Sense("161", objects=_objects((COOPERATION, "161")))],
    # ASSAULT
    "attack": [Sense("190")],
    "shoot": [Sense("190")],
    "join": [
        Sense("143", objects=_objects((STRIKES, "143"))),
        Sense("163", objects=_objects((SANCTIONS, "163"))),
    ],
    "block": [
        Sense("144", objects=_objects((CROSSINGS, "144")), target_preps=("with", "to", "from")),
    ],
    "close": [Sense("191", objects=_objects((CROSSINGS, "191")), target_preps=("to", "for"))],
    "strike": [Sense("190", confidence=0.6)],
    "shell": [Sense("194")],
    "bomb": [Sense("195")],
    "bombard": [Sense("194")],
    "invade": [Sense("190")],
    "raid": [Sense("190", confidence=0.7)],
    "assassinate": [Sense("186")],
    "kill": [Sense("190", confidence=0.6)],
    "fire": [Sense("175", objects=_objects((REPRESSION, "175"), (MATERIEL, "195")))],
    "launch": [Sense("195", objects=_objects((MATERIEL, "195")))],
}

# Verbs of intent: 'pledged to deepen cooperation' is AGREE; 'vowed to support' is SUPPORT.
INTELLIGENCE = frozenset("intelligence information data".split())
OBJECTIONS = frozenset("objection opposition veto ban block hold".split())
# Nouns that name an earlier event of the story ('condemned the expulsions'): lemma → the
# trigger lemmas they refer back to (empty: the latest event, whatever it was).
EVENT_NOUNS: dict[str, frozenset[str]] = {
    "expulsion": frozenset({"expel"}),
    "release": frozenset({"release", "free"}),
    "sanction": frozenset({"impose", "sanction", "sanctions"}),
    "measure": frozenset(),
    "move": frozenset(),
    "decision": frozenset(),
    "step": frozenset(),
    "patrol": frozenset({"hold", "patrol"}),
    "strike": frozenset({"strike", "bomb", "attack"}),
    "attack": frozenset({"attack", "strike", "shell"}),
    "arrest": frozenset({"arrest", "detain"}),
    "drill": frozenset({"stage", "hold", "conduct"}),
    "deployment": frozenset({"deploy"}),
    "exercise": frozenset({"stage", "hold", "conduct"}),
    "blockade": frozenset({"block"}),
    "claim": frozenset({"accuse", "claim"}),
    "accusation": frozenset({"accuse", "blame"}),
    "protest": frozenset({"protest", "lodge"}),
    "warning": frozenset({"warn", "threaten"}),
    "threat": frozenset({"warn", "threaten"}),
    "closure": frozenset({"close", "block"}),
}
INTENT_VERBS = frozenset(
    "pledge vow promise commit reaffirm agree resolve swear intend plan seek hope offer".split()
)
DEEPEN_VERBS = frozenset(
    "deepen expand strengthen boost develop enhance broaden bolster further continue".split()
)

# Nouns that name an event when their frame gives the actors ('Putin's visit to Pyongyang').
NOUNS: dict[str, str] = {
    "visit": "042",
    "trip": "042",
    "summit": "040",
    "talks": "040",
    "meeting": "040",
    "negotiations": "046",
    "accusation": "112",
    "criticism": "111",
    "condemnation": "111",
    "strike": "195",
    "attack": "190",
    "sanctions": "163",
    "sanction": "163",
    "protest": "141",
    "invasion": "190",
    "offensive": "190",
}

# Reporting verbs: a trigger in their complement is reported by their subject.
REPORTING = frozenset(
    "say report tell state announce add quote claim note insist write cite".split()
)
# Verbs and nouns that make what follows an allegation.
ALLEGING = frozenset(
    "accuse allege claim suspect believe accusation allegation suspicion charge".split()
)

MODAL_FUTURE = frozenset({"will", "would", "shall", "'ll", "wo"})
MODAL_HYPOTHETICAL = frozenset({"could", "might", "may", "should"})
