"""The default classifier: weighted keyword patterns, no network, no model download.

Each category has a lexicon of regular expressions with weights; the category with the
highest total wins, the runner-up (if it scored at least half as much) is the secondary
category. Questions and longer requests with no stronger signal count as ``factual``, short
remarks as ``conversation``. Attachments decide vision and sizes decide long context (see
``classifier.py``); a high-stakes domain is reported only if it is configured, and a
configured domain without a built-in lexicon is matched by its own name (``mental_health``
matches "mental health"). A classification takes tens of microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from modelplane.catalog.router_config import Complexity
from modelplane.router.classification import Action, Classification
from modelplane.router.classifier import (
    ClassifierContext,
    ClassifierName,
    Message,
    needs_long_context,
    needs_vision,
)

Lexicon = Mapping[str, Sequence[tuple[str, float]]]

CATEGORY_LEXICON: Lexicon = {
    "coding": (
        (r"\b(code|coding|program(ming)?|function|class|method|script|compile[rd]?|bug|debug)", 2),
        (
            r"\b(python|javascript|typescript|java|c\+\+|c#|rust|golang|ruby|php|sql|bash|html|css)",
            3,
        ),
        (r"\b(regex|api|json|yaml|git|docker|kubernetes|react|django|flask|numpy|pandas)\b", 2),
        (r"\b(algorithm|recursion|array|linked list|hash ?map|stack trace|exception|variable)", 2),
        (r"```|\bdef |\bimport |=>|\)\s*\{|;\s*$|</?\w+>", 3),
        (r"\b(implement|refactor|unit test|leetcode|runtime error|syntax)", 2),
    ),
    "reasoning": (
        (r"\b(prove|proof|theorem|lemma|deduce|infer|logic(al)?|riddle|puzzle|paradox)", 3),
        (r"\b(solve|calculate|compute|equation|probability|integral|derivative|math)", 3),
        (r"\d+\s*[-+*/^x\u00d7\u00f7]\s*\d+|\b\d+\s*%|\bx\s*=|\bsqrt\b", 2),
        (r"\b(step by step|reason(ing)?|think through|if .{1,40} then|how many|how much)", 2),
        (r"\b(why (do|does|is|are|did|would|can)|what would happen|explain why)", 1.5),
        (r"\b(sum|product|average|ratio|percentage|divisible|prime|digits?)\b", 1.5),
    ),
    "creative": (
        (
            r"\b(write|compose|draft|create) (a|an|me a|me an|some)?\s*\w*\s*"
            r"(story|poem|song|lyrics|haiku|limerick|essay|letter|speech|script|joke|tweet|post)",
            4,
        ),
        (r"\b(story|poem|poetry|lyrics|haiku|fiction|novel|character|plot|rhyme|slogan)", 2.5),
        (r"\b(imagine|pretend|role-?play|act as|you are a|in the style of|creative)", 2.5),
        (r"\b(write|rewrite|paraphrase|rephrase|edit|proofread|summari[sz]e) ", 1.5),
        (r"\b(blog|email|cover letter|toast|eulogy|caption|tagline|name ideas|title)", 1.5),
    ),
    "factual": (
        (r"^(what|who|when|where|which|how) (is|are|was|were|do|does|did|many|much|long|old)\b", 2),
        (r"\b(what is|what are|who is|who was|when did|where is|define|definition|meaning of)", 2),
        (r"\b(history|capital|population|invented|discovered|located|founded|born)\b", 1.5),
        (r"\b(how (do|can|should) (i|you|we)|how to|steps to|tips for|ways to|guide)", 1.5),
        (r"\b(recipe|ingredients|difference between|examples? of|list of|facts?)\b", 1.5),
    ),
    "analysis": (
        (r"\b(analy[sz]e|analysis|evaluate|assess|critique|review|interpret|examine)", 3),
        (
            r"\b(compare|comparison|contrast|pros and cons|advantages|disadvantages|trade-?offs?)",
            2.5,
        ),
        (r"\b(data|dataset|trend|statistics|metrics|report|chart|table|spreadsheet)\b", 1.5),
        (r"\b(implications?|impact|strategy|recommend(ation)?s?|should (i|we))\b", 1.5),
    ),
    "conversation": (
        (r"^(hi|hello|hey|yo|good (morning|evening|afternoon)|thanks|thank you|ok(ay)?)\b", 4),
        (r"\b(how are you|what's up|nice to meet|chat|talk to me|tell me about yourself)", 3),
        (r"\b(i feel|i'm feeling|my day|lol|haha|:\)|😊)", 1.5),
    ),
    "multimodal": (
        (r"\b(this|the|attached|in the) (image|photo|picture|screenshot|diagram|chart)", 4),
        (
            r"\b(draw|generate|create|make|render|paint|design) (an?|the|me an?)?\s*"
            r"(image|picture|illustration|logo|drawing|photo|icon|art)",
            5,
        ),
        (r"\b(image|photo|picture|illustration|visual|ocr)\b", 1.5),
    ),
    "research": (
        (
            r"\b(latest|current|recent|today'?s?|this (week|month|year)|news|up-to-date|2025|2026)",
            3,
        ),
        (r"\b(research|sources?|citations?|references?|papers?|studies|literature|survey)", 2.5),
        (r"\b(look up|search (for|the web)|find (me )?(information|articles))", 3),
        (r"\b(price of|stock price|weather|score of|who won|election)", 2),
    ),
}

HIGH_STAKES_LEXICON: Lexicon = {
    "medical": (
        (r"\b(symptoms?|diagnos\w*|medication|dosage|dose|prescri\w+|side effects?|disease)", 2),
        (r"\b(cancer|tumou?r|surgery|pregnan\w+|chest pain|overdose|allerg\w+|insulin)", 2),
        (r"\binfection", 1),
        (r"\b(blood pressure|doctor|physician|treatment for|is it safe to take|mg\b)", 1.5),
    ),
    "legal": (
        (r"\b(lawsuit|sue|suing|lawyer|attorney|legal advice|court|custody|eviction|evicted)", 2),
        (r"\b(arrested|criminal charges?|liabilit\w+|is it legal|illegal|contract dispute)", 2),
        (r"\b(divorce|will and testament|tenant rights|copyright infringement|subpoena)", 1.5),
    ),
    "financial": (
        (r"\b(invest\w*|stocks?|retirement|401\(?k\)?|mortgage|loan|debt|bankrupt\w*|ira\b)", 2),
        (r"\b(tax(es)?|crypto\w*|bitcoin|savings|credit score|pension|portfolio|trading)", 1.5),
    ),
    "safety": (
        (r"\b(weapon|explosive|bomb|poison\w*|carbon monoxide|gas leak|electrocut\w+)", 2),
        (r"\b(emergency|is it dangerous|dangerous to|toxic|fire hazard|choking)", 1.5),
    ),
    "mental_health": (
        (r"\b(suicid\w*|self-?harm|kill myself|end my life|want to die|hopeless)", 3),
        (r"\b(depress\w*|anxiety|panic attacks?|therap(y|ist)|eating disorder|ptsd|bipolar)", 2),
    ),
    "privacy": (
        (r"\b(doxx?\w*|personal data|someone'?s (location|address|password)|spy on|stalk\w*)", 2),
        (r"\b(social security number|ssn|gdpr|data breach|hack into|track (my|his|her))", 2),
    ),
    "immigration": (
        (r"\b(visa|green card|asylum|deport\w*|immigra\w+|citizenship|work permit|refugee)", 2),
        (r"\b(undocumented|naturali[sz]ation|residency permit|h-?1b)", 2),
    ),
    "domestic_abuse": (
        (r"\b(domestic (violence|abuse)|abusive (partner|husband|wife|boyfriend|girlfriend))", 3),
        (r"\b(restraining order|(he|she) (hits|beats|threatens) me|controlling partner)", 3),
        (r"\b(abuse shelter|women'?s shelter|afraid of my (partner|husband|wife))", 2),
    ),
}

_COMPLEX_CUES = re.compile(
    r"\b(design|architect\w*|optimi[sz]e|in detail|detailed|comprehensive|thorough|prove|"
    r"trade-?offs?|step by step|multi-?step|in depth|analy[sz]e|evaluate|implement|"
    r"strategy|edge cases?|scal(e|able|ability)|derive)",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(and|also|but|so|then|now|ok(ay)?|thanks|thank you|continue|go on|more|what about|"
    r"how about|same|again|why|can you|could you|please)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?\s*$|^(what|who|when|where|which|how|why|is|are|can|do|does)\b", re.I)
HIGH_STAKES_THRESHOLD = 2.0
SECONDARY_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class _Scores:
    by_category: dict[str, float]

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.by_category.items(), key=lambda kv: -kv[1])


def _compile(lexicon: Lexicon) -> dict[str, tuple[tuple[re.Pattern[str], float], ...]]:
    return {
        key: tuple((re.compile(p, re.IGNORECASE | re.MULTILINE), w) for p, w in patterns)
        for key, patterns in lexicon.items()
    }


def _total(patterns: Iterable[tuple[re.Pattern[str], float]], text: str) -> float:
    return sum(weight for pattern, weight in patterns if pattern.search(text))


class EmbeddedClassifier:
    """Keyword classifier. Thread-safe; build once and share."""

    name: ClassifierName = "embedded"

    def __init__(
        self,
        categories: Lexicon = CATEGORY_LEXICON,
        high_stakes: Lexicon = HIGH_STAKES_LEXICON,
    ) -> None:
        self._categories = _compile(categories)
        self._high_stakes = _compile(high_stakes)

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        text = message.text
        vision = needs_vision(message.attachment_types)
        scores = self._category_scores(text, context.categories, vision)
        primary, secondary, confidence = self._rank(scores, text, context.categories)
        domain = self._domain(text, context.domains)
        complexity = _complexity(text, primary)
        return Classification(
            primary_category=primary,
            secondary_category=secondary,
            complexity=complexity,
            requires_vision=vision,
            requires_long_context=needs_long_context(message, context),
            requires_reasoning=_requires_reasoning(scores, primary, complexity),
            confidence=confidence,
            is_high_stakes=domain is not None,
            high_stakes_domain=domain,
            recommended_action=_action(message, confidence, vision),
        )

    def _category_scores(self, text: str, known: Sequence[str], vision: bool) -> _Scores:
        scores = {
            c: _total(patterns, text) for c, patterns in self._categories.items() if c in known
        }
        if vision and "multimodal" in scores:
            scores["multimodal"] += 3
        return _Scores(scores)

    def _rank(
        self, scores: _Scores, text: str, known: Sequence[str]
    ) -> tuple[str, str | None, float]:
        ranked = [kv for kv in scores.ranked() if kv[1] > 0]
        if not ranked:
            return _default_category(text, known), None, 0.3
        (top, top_score), rest = ranked[0], ranked[1:]
        runner_up = rest[0] if rest and rest[0][1] >= top_score * SECONDARY_SHARE else None
        second_score = rest[0][1] if rest else 0.0
        confidence = round(
            min(
                0.95, 0.4 + 0.5 * (top_score - second_score) / top_score + 0.05 * min(top_score, 4)
            ),
            2,
        )
        return top, runner_up[0] if runner_up else None, confidence

    def _domain(self, text: str, domains: Sequence[str]) -> str | None:
        best, best_score = None, 0.0
        for domain in domains:
            patterns = self._high_stakes.get(domain) or _name_pattern(domain)
            score = _total(patterns, text)
            if score >= HIGH_STAKES_THRESHOLD and score > best_score:
                best, best_score = domain, score
        return best


@cache
def _name_pattern(domain: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    words = re.escape(domain.replace("_", " "))
    return ((re.compile(rf"\b{words}", re.IGNORECASE), HIGH_STAKES_THRESHOLD),)


def _default_category(text: str, known: Sequence[str]) -> str:
    asks = _QUESTION.search(text) or len(text.split()) > 8
    for category in ("factual" if asks else "conversation", "conversation"):
        if category in known:
            return category
    return known[0] if known else "conversation"


def _complexity(text: str, primary: str) -> Complexity:
    words = len(text.split())
    cues = len(_COMPLEX_CUES.findall(text))
    if words > 120 or cues >= 2 or (cues and words > 40) or text.count("?") >= 3:
        return "complex"
    if words <= 12 and not cues and primary in ("conversation", "factual"):
        return "simple"
    return "moderate"


def _requires_reasoning(scores: _Scores, primary: str, complexity: Complexity) -> bool:
    reasoning = scores.by_category.get("reasoning", 0.0)
    return reasoning >= 3 or (primary in ("reasoning", "analysis") and complexity == "complex")


def _action(message: Message, confidence: float, vision: bool) -> Action:
    """``keep`` a previous model for follow-ups and weak signals; ``change`` when the
    message clearly starts something new or needs vision."""
    if not message.has_previous_model or vision:
        return "change"
    if _FOLLOW_UP.search(message.text.strip()) or confidence < 0.5:
        return "keep"
    return "change"
