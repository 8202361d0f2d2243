"""Noise rules as data: patterns per noise class, written against classes, not outlets.

Patterns match a whole normalised line (`fullmatch`) unless their name says otherwise.
The orchestrator (`workers.clean.text`) decides where each table applies.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# Agencies and picture desks that sign photos and stories.
AGENCIES = (
    r"AP|AFP|Reuters|EPA(?:-EFE)?|Getty(?:\s+Images)?|Yonhap|KCNA|Xinhua|Tass|TASS|"
    r"RIA(?:\s+Novosti)?|Sputnik|Bloomberg|ANI|PTI|IANS|Anadolu|Kyodo|dpa|DPA|UPI|"
    r"Shutterstock|Alamy|NurPhoto|SOPA\s+Images|Pool|Handout|Kremlin|AAP|PA(?:\s+Media)?|"
    r"Associated\s+Press|Agence\s+France-Presse"
)

# A photo credit alone on a line: "Photo: AP", "Photograph: Name/EPA",
# "Photo: EPA-EFE / Name / Agency", "(Photo by X/Getty Images)", "Image: Reuters",
# "AFP via Getty Images", "KCNA via Reuters".
CREDIT_LINE = re.compile(
    r"\(?\s*(?:photo(?:graph)?s?|images?|pictures?|picture|file\s+photo|credit|"
    r"photo\s+credit|video)\s*(?::|by\b|-|–|—)\s*[^\n]{1,120}?\)?"
    r"|[\w .,'’&/-]{1,60}\s+via\s+(?:" + AGENCIES + r")(?:\s+images)?"
    r"|(?:" + AGENCIES + r")(?:\s*/\s*[\w .'’-]{1,40}){0,3}",
    _I,
)

# A credit glued to the end of a caption line: "… on Friday. Photograph: KCNA/EPA".
GLUED_CREDIT = re.compile(
    r"(?<=[.!?”\"’)])\s+(?P<credit>\(?(?:photo(?:graph)?|image|picture|credit)s?\s*"
    r"(?::|by\b)\s*[^\n]{1,100}?\)?)\s*$",
    _I,
)

# An agency sign-off glued to the last paragraph: "… he said. – Reuters", "— AFP".
SIGN_OFF = re.compile(
    r"(?<=[.!?”\"’)])\s*(?P<credit>(?:[-–—]{1,2}|\|)\s*(?:" + AGENCIES + r")"
    r"(?:\s+with\s+[\w ,]{1,60})?\.?)\s*$"
    r"|\s+(?P<reporting>\((?i:reporting|writing|additional\s+reporting|editing)\s+by\s+"
    r"[^()]{1,300}\))\s*$",
)

READING_TIME = re.compile(
    r"(?:(?:reading\s+time|read\s+time|listen(?:\s+to\s+this\s+(?:article|story))?)\s*"
    r"[:·•|-]?\s*)?\d+\s*(?:-\s*\d+\s*)?(?:mins?|minutes?|m)\.?(?:\s+(?:read|listen))?"
    r"(?:\s+(?:read|listen))?",
    _I,
)

NAVIGATION = re.compile(
    r"logo|(?:go|back|return|jump|scroll)\s*to\s*(?:the\s+)?top|skip\s+to\s+(?:main\s+)?content"
    r"|(?:[«‹<←]\s*)?previous(?:\s+(?:story|article|post|page))?(?:\s*[»›>→])?"
    r"|(?:[«‹<←]\s*)?next(?:\s+(?:story|article|post|page))?(?:\s*[»›>→])?|menu|home"
    r"|(?:share|tweet|email|print|whatsapp|facebook|twitter|linkedin|copy\s+link)"
    r"(?:\s*(?:[|/•·]\s*)?(?:share|tweet|email|print|whatsapp|facebook|twitter|linkedin|"
    r"copy\s+link|on\s+\w+))*"
    r"|share\s+(?:this|on)\b.{0,40}|follow\s+us\b.{0,60}"
    r"|(?:home|news|world)\s*(?:>|›|»|/|\|)\s*.{1,80}",  # breadcrumbs
    _I,
)

PROMO = re.compile(
    r"advertisement|sponsored(?:\s+content)?|(?:\w+\s+)?background"
    r"|(?:download|get|install)\s+(?:the|our)\s+(?:\w+\s+)?app\b.{0,80}"
    r"|(?:get\s+started\s+now|try\s+our)\b.{0,160}"
    r"|(?:see|explore|discover|find\s+out)\s+what\b.{0,80}\bcan\s+do\s+for\s+you\W{0,3}"
    r"|.{0,120}\b(?:(?:delivered|sent)\s+(?:straight\s+)?to|in(?:to)?)\s+your\s+inbox\b.{0,60}"
    r"|ready\s+to\b.{0,120}\b(?:app|download|subscribe|sign\s+up)\b.{0,80}"
    r"|app-?store\s*(?:play-?store|google\s*play)?|google\s*play|app\s+store"
    r"|(?:available|download\w*)\s+(?:now\s+)?(?:on|from)\s+(?:the\s+)?(?:app\s+store|google\s+play)"
    r".{0,60}|read\s+(?:this|the\s+full)\s+(?:story|article)\s+in\s+(?:our|the)\s+app\W{0,3}"
    r"|get\s+the\s+.{1,40}\s+app\W{0,3}"
    r"|(?:sign\s+up|subscribe|register)\b.{0,120}|newsletter\b.{0,100}"
    r"|.{0,60}\bnewsletter|try\s+\w+\s+free.{0,60}|(?:click|tap)\s+here\b.{0,80}",
    _I,
)

COMMENTS = re.compile(
    r"comments?(?:\s*\(\d+\))?|no\s+comments?(?:\s+yet)?\.*(?:\s+be\s+the\s+first\b.{0,60})?"
    r"|be\s+the\s+first\s+to\s+(?:comment|share|reply).{0,60}"
    r"|comments\s+are\s+(?:closed|disabled|turned\s+off).{0,60}"
    r"|.{0,40}\bcommunity\s+(?:guidelines|standards|rules)\b.{0,60}|sort\s+by\s*:.{0,30}"
    r"|(?:log|sign)\s*in\s+to\s+(?:comment|reply|join|leave|post|add).{0,60}"
    r"|leave\s+a\s+(?:comment|reply)"
    r"|\d+\s+comments?|view\s+comments|show\s+comments|join\s+the\s+(?:conversation|discussion)",
    _I,
)

# "ALSO READ: headline", "Read more: headline": a teaser that may stand inside the story.
INLINE_TEASER = re.compile(
    r"(?:also\s+read|read\s+also|read\s+more|see\s+also|related|recommended|more\s+on\s+this"
    r"|watch)\s*[:|–—-]\s*\S.{0,200}",
    _I,
)

# Teaser age lines anywhere: "time4 hours ago", "2 hours ago".
TEASER_AGE = re.compile(
    r"(?:time\s*|updated\s*|published\s*)?(?:an?|\d+)\s*"
    r"(?:sec(?:ond)?|min(?:ute)?|hour|hr|day|week|month|year|[hmdwy](?=\s))s?\s+ago",
    _I,
)

# Teaser metadata inside end matter only: "• Outlet" bullets (a story may use bullets).
TEASER_META = re.compile(r"[•·▪►]\s*\S.{0,60}", _I)

# Lines that open a block of end matter. A hard marker ends the story: all that follows is
# end matter. A soft marker ("Don't miss", "Read more") may stand in a box inside the story:
# it takes only the teaser headlines that follow it, up to the next story paragraph.
HARD_SECTION = re.compile(
    r"(?:(?:related|more|other|latest|top|recommended|popular|trending)\s+"
    r"(?:articles?|stories|news|reads?|posts?|videos?|from\b.{0,60}|in\b.{0,40}|on\b.{0,40})"
    r"|latest\s+from\b.{0,60}|more\s+from\b.{0,60}|most\s+(?:read|viewed|popular|shared)"
    r"|you\s+(?:may|might)\s+(?:also\s+)?like|recommended(?:\s+for\s+you)?"
    r"|what\s+to\s+read\s+next|(?:[«‹<←]\s*)?previous(?:\s+(?:story|article|post))?"
    r"|next(?:\s+(?:story|article|post))?(?:\s*[»›>→])?"
    r"|comments?(?:\s*\(\d+\))?|no\s+comments?(?:\s+yet)?\.*|leave\s+a\s+(?:comment|reply)"
    r"|(?:download|get)\s+the\s+app|tags?\s*:.{0,200}|topics?\s*:.{0,200}"
    r")\s*[:.…»›>-]*",
    _I,
)
SOFT_SECTION = re.compile(
    r"(?:don[’']?t\s+miss|must\s+(?:read|see|watch)|editor[’']?s\s+(?:picks?|choice)"
    r"|also\s+read|read\s+(?:more|next|also)|see\s+also|watch|listen|in\s+pictures"
    r"|more\s+on\s+this(?:\s+story)?)\s*[:.…»›>|-]*",
    _I,
)

# Kind of end matter a section-start line opens.
SECTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("comments", COMMENTS),
    ("navigation", re.compile(r"previous\s+\w+|next\s+\w+|tags?\s*:.*|topics?\s*:.*", _I)),
    ("promo", re.compile(r"(?:download|get)\s+the\s+app", _I)),
)

# Outlet glued to a relative age: "Japan Times2 days ago", "Daily Ledger 3 hours ago".
OUTLET_AGE = re.compile(
    r"(?P<outlet>[A-Z][\w.&'’ -]{1,60}?)\s*(?:[|•·-]\s*)?"
    r"(?P<n>\d+|an?|one)\s*(?P<unit>sec(?:ond)?|min(?:ute)?|hour|hr|day|week|month|year"
    r"|[hmdwy](?=\s))s?\s+ago",
)

BYLINE = re.compile(
    r"(?:by|written\s+by|words\s+by)\s+(?P<names>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})*)"
    r"(?:\s*[,|–—-]\s*(?P<org>[\w .]{2,40}))?"
    r"|(?P<names2>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3})\s*\|\s*"
    r"(?:staff\s+writer|correspondent|reporter|editor|contributor)[\w ]{0,30}",
    _I,
)

# "SEOUL (Reuters) —", "NAIROBI, Kenya (AP) —", "SEOUL, July 3 (Yonhap) --", "BERLIN —".
DATELINE = re.compile(
    r"(?P<dateline>(?:[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3})"
    r"(?:,\s*[A-Z][\w.'’ -]{1,30}?)?(?:,\s*\w+\.?\s+\d{1,2})?"
    r"(?:\s*\((?:" + AGENCIES + r"|[A-Z][\w.&' -]{1,30})\))?\s*(?:—|–|--|-|:)\s*)(?=\S)",
)

# Reporter / agency credit line at the end: "Reporting by …; Editing by …".
REPORTING_LINE = re.compile(
    r"\(?(?:reporting|writing|additional\s+reporting|editing|compiled)\s+by\b.{1,300}", _I
)
