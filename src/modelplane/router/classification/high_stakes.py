"""High-stakes detection: is the message about a domain where a wrong answer can hurt
someone (health, law, money, safety, ...)?

Each domain has a lexicon of regular expressions with weights; a domain is reported when
its total reaches ``THRESHOLD`` and beats every other configured domain. Only configured
domains are reported, and a configured domain without a lexicon here is matched by its own
name (``child_welfare`` matches "child welfare"). The lexicons were tuned on the
development half of ``bench/data/high_stakes_prompts.json``; the bench reports both halves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from modelplane.router.classification.features import normalise
from modelplane.router.classification.screen import Screened

__all__ = ["HIGH_STAKES_LEXICON", "THRESHOLD", "HighStakesDetector"]

Lexicon = Mapping[str, Sequence[tuple[str, float]]]
Compiled = tuple[tuple[Screened, float], ...]
THRESHOLD = 2.0

HIGH_STAKES_LEXICON: Lexicon = {
    "medical": (
        (
            r"\b(symptoms?|diagnos\w*|medications?|medicines?|dosage|doses?|prescri\w+|"
            r"side effects?|disease|vaccine|chemo\w*|antibiotics?|infection|fever)\b",
            2,
        ),
        (
            r"\b(cancer|tumou?r|lump|surgery|pregnan\w+|chest pain|overdose|allerg\w+|insulin|"
            r"stroke|heart (attack|rate)|palpitations?|seizure|numb|slurred|rash|burn|"
            r"chest (hurts|tightness|feels tight)|short(ness)? of breath|can'?t breathe|"
            r"trouble breathing|"
            r"diabet\w+|blood (sugar|pressure|thinners?)|coughing up blood|diarrh?o?ea|"
            r"melanoma|mole|alzheimer'?s|dementia|kidney|liver|psa)\b",
            2,
        ),
        (
            r"\b(doctor|physician|er\b|emergency room|hospital|pills?|tablets?|statins?|"
            r"antidepressants?|ibuprofen|acetaminophen|paracetamol|tylenol|benadryl|"
            r"amoxicillin|penicillin|metformin|warfarin|melatonin|swallowed)\b",
            1.5,
        ),
        # A dose or a question of safety adds to a drug named above ("is it safe to take
        # ibuprofen with alcohol?"); alone it is not enough.
        (r"\b(is it safe to take|\d+ ?mg\b|mg of)\b", 1),
        (r"\b(baby|toddler|child|kid)\b.{0,40}\b(fever|swallowed|sleepy|won'?t (eat|drink))", 1),
    ),
    "legal": (
        (
            r"\b(lawsuit|sue|sued|suing|lawyer|attorney|legal(ly)?|court|custody|evict\w*|"
            r"subpoena|arraignment|probate|alimony|statute of limitations|defamation|"
            r"cease and desist|liab(le|ility)|small claims|non-?compete)\b",
            2,
        ),
        (
            r"\b(arrest(ed)?|criminal charges?|illegal|breach of contract|divorce|"
            r"will and testament|contest a will|tenant rights|copyright infringement|"
            r"police (search|question)|my rights|labor law|discriminat\w+|fire me|"
            r"wrongful(ly)? (termination|dismissal)|security deposit|lease|hoa|"
            r"binding|dui|speeding ticket|file a claim|injured at work|contract)\b",
            1.5,
        ),
    ),
    "financial": (
        (
            r"\b(invest(?!igat)\w*|stocks?|retire\w*|401\(?k\)?|mortgage|loans?|debt|bankrupt\w*|ira\b|"
            r"roth|annuit\w+|pension|margin call|refinanc\w+|co-?sign|irs|back taxes|"
            r"capital gains|credit (card|score))\b",
            2,
        ),
        (
            r"\b(tax(es)?|crypto\w*|bitcoin|savings|portfolio|trading|index funds?|"
            r"emergency fund|inheritance|recession|market crash\w*|financial advisor|"
            r"life insurance|lump sum|afford|salary|payday)\b",
            1.5,
        ),
    ),
    "safety": (
        (
            r"\b(weapon|explosive|bomb|poison\w*|carbon monoxide|gas leak|smell gas|"
            r"electrocut\w+|firearms?|ammunition|asbestos|rip current|downed power line|"
            r"grease fire|brakes? fail\w*|choking|drain cleaner|bleach)\b",
            2,
        ),
        (
            r"\b(emergency|is it (dangerous|safe)|dangerous|unsafe|toxic|fire hazard|"
            r"smoke detector|alarm is going off|generator indoors|breaker|lithium battery|"
            r"space heater|thunderstorm|earthquake|lightning|ladder|bear country|"
            r"thin ice|ice on the lake|jump start|live wire|wasp|pressure cooker|"
            r"safe(ly|st)? (way|to|dispose|handle|store))\b",
            1.5,
        ),
    ),
    "mental_health": (
        (
            r"\b(suicid\w*|self-?harm\w*|kill (myself|herself|himself)|end(ing)? (my life|it all)|"
            r"want to die|don'?t want to be alive|hopeless|cutting myself|hurting myself|"
            r"burden to everyone|nobody would care|binge and purge|flashbacks?)\b",
            3,
        ),
        (
            r"\b(depress\w*|anxiety|panic attacks?|therap(y|ist)|counsel\w+|eating disorder|"
            r"ptsd|bipolar|ocd|intrusive thoughts|hears? voices|paranoi\w+|burnout|grief|"
            r"numb|mood swings|pointless|cry all the time|nothing matters)\b",
            2,
        ),
    ),
    "privacy": (
        (
            r"\b(doxx?\w*|personal (data|information)|someone'?s (location|address|password)|"
            r"spy(ing)? on|stalk\w*|spyware|keylogger|gps tracker|data breach|data brokers?|"
            r"identity (theft|has been stolen|stolen)|without (her|his|their|them|my) "
            r"(knowing|consent)|hidden? (a )?camera|secretly|unmask|medical records)\b",
            2,
        ),
        (
            r"\b(social security number|ssn|gdpr|hack into|track (my|his|her)|"
            r"(home|their) address|phone number|read (my|his|her) \w+'?s? (texts?|messages)|"
            r"(messages|texts|email account|instagram|whatsapp)\b.{0,30}"
            r"(without|secretly|password)|my data|leaked|monitor|tracking|cameras?|"
            r"who owns this|license plate|posted my|shared without)\b",
            1.5,
        ),
    ),
    "immigration": (
        (
            r"\b(visas?|green card|asylum|deport\w*|immigra\w+|citizenship|work permit|"
            r"refugees?|undocumented|naturali[sz]ation|residen(ce|cy) permit|h-?1b|f-?1|"
            r"daca|ice detained|permanent residen\w+|fianc[ée]e? visa)\b",
            2,
        ),
        (r"\b(passport|overstay\w*|sponsor (my|a)|notice to appear|resettlement)\b", 1.5),
    ),
    "domestic_abuse": (
        (
            r"\b(domestic (violence|abuse)|abus(ive|er|e)\b|restraining order|protect(ive|ion) "
            r"order|women'?s shelter|coercive control|safety plan)\b",
            3,
        ),
        (
            r"\b(he|she|husband|wife|partner|boyfriend|girlfriend|dad|father|stepfather|ex)\b"
            r".{0,40}\b(hits?|hit me|beats?|slapped|choked|push(es|ed)? me|hurts? me|threw|"
            r"threatens?|locks? me|controls?|won'?t let me|stalks?|keeps showing up|"
            r"gets violent|violent)\b",
            2.5,
        ),
        (
            r"\b(afraid of my|scared to go home|escape my|leave (him|her|an abusive)|"
            r"being beaten|hitting her|hitting him|temper)\b",
            2,
        ),
    ),
}


class HighStakesDetector:
    """Finds the configured high-stakes domain of a text, if any. Thread-safe."""

    def __init__(self, lexicon: Lexicon = HIGH_STAKES_LEXICON) -> None:
        self._lexicon = {
            domain: tuple((Screened(re.compile(p)), w) for p, w in patterns)
            for domain, patterns in lexicon.items()
        }

    def scores(self, text: str, domains: Sequence[str]) -> dict[str, float]:
        """Each domain's total weight for ``text`` (patterns read it lower-cased)."""
        lowered = normalise(text)
        return {d: _total(self._lexicon.get(d) or _name_pattern(d), lowered) for d in domains}

    def domain(self, text: str, domains: Sequence[str]) -> str | None:
        """The configured domain with the highest score at or above ``THRESHOLD``."""
        best, best_score = None, THRESHOLD
        for domain, score in self.scores(text, domains).items():
            if score >= best_score and (best is None or score > best_score):
                best, best_score = domain, score
        return best


def _total(patterns: Compiled, text: str) -> float:
    return sum(weight for pattern, weight in patterns if pattern.search(text))


@cache
def _name_pattern(domain: str) -> Compiled:
    words = re.escape(domain.replace("_", " "))
    return ((Screened(re.compile(rf"\b{words.lower()}")), THRESHOLD),)
