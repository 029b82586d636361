"""The named, binary features the embedded classifier reads from a message.

A message becomes a small set of strings, each one a fact a person can check by reading
it:

    "How do I reverse a list in Python?"
    -> {"w:how", "w:do", "w:i", "w:reverse", "w:list", "w:in", "w:python",
        "b:how_do", "b:do_i", ..., "f:how", "f2:how_do", "cue:how_do_i",
        "cue:ends_with_question", "len:short"}

Prefixes: ``w:`` a word (lower-cased, plural ``s`` dropped), ``b:`` two adjacent words,
``f:``/``f2:`` the first one or two words (questions and imperatives show there),
``len:`` a length bucket, and ``cue:`` a hand-written pattern for what words alone miss:
the shape of code, arithmetic, role-play, requests for images, and so on. Weights for
these features live elsewhere (``category_model.py``); this module only names facts.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from modelplane.router.classification.screen import Screened

__all__ = ["CUES", "extract", "normalise", "words"]

_WORD = re.compile(r"[a-z][a-z0-9+#']*|\d+(?:\.\d+)?")
_KEEP_S = ("ss", "us", "is", "'s")

_CASE_SENSITIVE = frozenset({"identifier_shape"})
"""Cues read from the text as written; the rest read it lower-cased (faster than
``re.IGNORECASE``, and the patterns are written in lower case)."""

CUES: Mapping[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.MULTILINE)
    for name, pattern in {
        # Code shape: fences, identifiers, punctuation and traces that prose rarely has.
        "code_fence": r"```|~~~",
        "inline_code": r"`[^`\n]{1,80}`",
        "code_syntax": (
            r"\b(def|fn|func|function|public|private|static|void|int|return|import|"
            r"from \w+ import|console\.log|printf?|#include|select \w+ from|let|const|var)\b"
            r"[^\n]{0,40}[(){};=:]"
        ),
        "braces_or_semicolons": r"[{}]|;\s*$|\)\s*;|=>|->|::|!=|==|\+\+|&&|\|\|",
        "identifier_shape": r"\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z][a-zA-Z]+\b|\w+\(\)|\.\w+\(",
        "stack_trace": r"traceback|exception|error:|errno|segmentation fault|stack ?trace|"
        r"line \d+|undefined (is not|reference)|null ?pointer",
        "language_name": r"\b(python|javascript|typescript|java|c\+\+|c#|rust|golang|kotlin|"
        r"swift|ruby|php|sql|bash|powershell|html|css|react|node\.?js|django|"
        r"regex|json|yaml|docker|kubernetes|linux|git|api|excel formula|vba|matlab|"
        r"godot|unity|pandas|numpy|pytorch|tensorflow)\b",
        # Arithmetic and mathematics.
        "arithmetic": r"\d\s*[-+*/\u00d7\u00f7^=<>]\s*\(?\s*\d|\d\s*%|\b\d+\s*x\s*\d+\b|"
        r"\b[a-z]\s*[-+*/^]\s*\d|\|\s*[a-z]",
        "equation": r"\b[a-z]\s*[=^]\s*[-\d(a-z]|\b[a-z]\^\d|[a-z]\([a-z]\)|\bf\(x\)|"
        r"\bsqrt\b|∫|∑|√|π",
        "math_word": r"\b(solve|calculate|compute|equation|formula|integral|derivative|"
        r"probability|theorem|prove|proof|matri(x|ces)|vector|polynomial|"
        r"prime|factorial|logarithm|variance|algebra|geometry|calculus|"
        r"arithmetic|fraction|percent(age)?|how many|how much|remainder|divided by|"
        r"divisible|integers?|inequalit(y|ies)|area|perimeter|diagonal|radius|angle|"
        r"countable|equilibri(um|a|ums)|statistics?|mean|median|average|sum of)\b",
        "proof": r"\b(prove|proof|show that|verify (the|that|whether)|is it true that|"
        r"for all|there exists?)\b",
        "puzzle": r"\b(riddle|puzzle|brain ?teaser|does not belong|odd one out|what could be "
        r"the reasons?|logic(al)?|deduce|infer|what comes next|trick question)\b",
        "many_numbers": r"\d+\D+\d+\D+\d+",
        # Role-play and talking to the assistant as a person.
        "role_play": r"\b(pretend|role-?play|act as|act like|you are (now )?(a|an|my|the)\b|"
        r"imagine (you|yourself)|from now on,? you|play the role|(take on|assume) the role|"
        r"in character|stay in character|as if you were|if you were|you're (now )?(a|an|my|"
        r"the)\b|embody|persona|simulate|impersonate|speak like|talk like|like a (pirate|"
        r"gangster|cowboy|wizard|shakespear\w*)|you will (act|play|be))",
        "about_you": r"\b(are you (a |an )?(human|real|alive|conscious|sentient|ok|okay|happy|"
        r"sad|there|a robot|an ai)|do you (feel|like|have feelings|dream|believe in|"
        r"remember|get lonely)|your (name|favou?rite|feelings)|what should i call you|"
        r"can you (feel|think and feel)|what are you (thinking|doing|up to)|about yourself|"
        r"you and a human|who are you|who made you)\b",
        # Writing: asking for a text to be produced.
        "write_request": r"^\s*(please\s+)?(can you\s+|could you\s+)?(help me\s+)?(write|"
        r"compose|draft|create|generate|come up with|give me|make|rewrite|paraphrase|"
        r"rephrase|summari[sz]e|edit|proofread|translate|expand|suggest|brainstorm|"
        r"complete|continue|turn|structure|describe a|tell me a)\b",
        "compose_text": r"\b(write|compose|draft|create|rewrite|tell|give|make)\b[^.?!\n]{0,40}"
        r"\b(story|stories|poem|song|lyrics|haiku|limerick|essay|letter|speech|script|joke|"
        r"tweet|blog|post|article|email|slogan|caption|toast|rap|dialogue|card|ad|"
        r"description|bio|names?|titles?|plot|quote|list)\b",
        "creative_words": r"\b(creative|creatively|vivid|imaginative|funny|humorous|witty|"
        r"catchy|poetic|rhym\w*|in the style of|fictional|fantasy|character|plot|twist)\b",
        "text_form": r"\b(story|stories|poem|poetry|song|lyrics|haiku|limerick|essay|"
        r"letter|speech|script|joke|tweet|blog|post|article|email|cover letter|slogan|"
        r"description|paragraph|caption|toast|rap|dialogue|outline|bio|headline|review)\b",
        # Procedure and information seeking.
        "how_do_i": r"\bhow (do|can|should|would) (i|we|you|one)\b|\bhow to\b|\bsteps? (to|for)\b|"
        r"\bguide\b|\btips?\b|\bways to\b",
        "wh_question": r"^\s*(what|who|when|where|which|why|how)\b",
        "why_question": r"\bwhy\b|\bwhat if\b|\bwhat would happen\b|\bexplain why\b",
        "opinion": r"\b(should i|should (we|they|it|\w+) be|do you think|your (opinion|view)|"
        r"is it (better|worth|wrong|right|ok|okay|ethical|moral|fair)|moral(ly|ity)?|"
        r"ethic(s|al|ally)|would you rather|what do you think|agree or disagree|argue|"
        r"justify|more important|acceptable)\b",
        "code_task": r"\b(implement|write|create|build|fix|debug|refactor|optimi[sz]e)\b"
        r"[^.?!\n]{0,50}\b(function|program|script|class|method|algorithm|query|regex|"
        r"app|api|endpoint|code|bug|test|framework|loop|array|list comprehension)\b",
        "code_words": r"\b(function|algorithm|array|linked list|binary tree|hash ?map|"
        r"recursion|compiler?|runtime|variable|boolean|integer overflow|big-?o|"
        r"time complexity|data structure|library|framework|repository|syntax)\b",
        "ends_with_question": r"\?\s*$",
        "multi_line": r"\n\s*\S[^\n]*\n",
        # Categories without training data: their cues carry hand-set weights.
        "image_request": r"\b(draw|generate|create|make|render|paint|design|sketch)\s+(me\s+)?"
        r"(an?|the|some)?\s*(\w+\s+){0,2}(image|picture|illustration|logo|drawing|photo|"
        r"icon|artwork|painting|portrait)\b",
        "this_image": r"\b(this|the|attached|in the|my) (image|photo|picture|screenshot|"
        r"diagram|chart|scan)\b",
        "greeting": r"^\s*(hi|hello|hey|yo|hiya|good (morning|evening|afternoon|night)|"
        r"thanks|thank you|thx|ok(ay)?|cool|nice|lol|bye|goodbye)\b[\s!.,:)]*"
        r"(there|again|so much|buddy|friend|mate)?[\s!.,:)]*$",
        "small_talk": r"\b(how are you|how's it going|what's up|nice to meet you|"
        r"tell me about yourself|let's (chat|talk)|talk to me|i'm bored)\b",
        "fresh_info": r"\b(latest|current(ly)?|recent(ly)?|today'?s?|this (week|month|year)|"
        r"news|up[- ]to[- ]date|right now|as of|20(2[4-9]))\b",
        "sources": r"\b(sources?|citations?|cite[ds]?|citing|references?|referenced|"
        r"peer[- ]reviewed|papers?|studies|literature review|"
        r"research on|evidence (for|that)|primary (sources|documents))\b",
        "research_task": r"\b(research|investigate|survey|compile|deep dive|due diligence|"
        r"literature|white paper|market (analysis|study|research|sizing|overview)|"
        r"(industry|market|research|analyst|detailed|comprehensive|in-depth) (report|brief|"
        r"review|overview)|competitive landscape|state of the art|evidence (review|on)|"
        r"systematic review|meta-?analys[ie]s|briefing (on|about|for)|policy brief|"
        r"deep-dive|write-up|fact base|dossier|evidence-based|(well|thoroughly)-(researched|"
        r"sourced)|what is (publicly )?(known|documented)|state of (knowledge|research|the "
        r"evidence)|what (does|do) (the )?(\w+ )?(research|studies|evidence|literature) (say|"
        r"show|suggest)|what (have|has) (the )?(\w+ )?(studies|investigations|inquiries|"
        r"researchers|scientists|investigators) (found|shown|concluded)|sourced (summary|"
        r"overview|account)|(summari[sz]e|review) (the )?(\w+ )?(studies|trials|literature|"
        r"findings))\b",
        "look_up": r"\b(look up|search (for|the web|online)|find (me )?(information|"
        r"articles|studies)|browse)\b",
        "analyse": r"\b(analy[sz]e|analysis|evaluate|assess|critique|interpret|examine|"
        r"break down)\b",
        "compare": r"\b(compare|comparison|contrast|pros and cons|advantages and "
        r"disadvantages|trade-?offs?|versus|vs\.?)\b",
        "data_words": r"\b(data ?set|data|trend|statistics|metrics|spreadsheet|table|chart|"
        r"survey results|kpis?)\b",
        # Analysis works on what the user hands over; research gathers from the world.
        "given_material": r"\b(this|these|the following|below|above|attached|here is|"
        r"here's|here are|my|our) (\w+ ){0,2}(data|data ?set|text|passage|essay|report|"
        r"table|chart|graph|numbers|figures|results|code|spreadsheet|survey|article|"
        r"paragraph|document|transcript|email|contract|story|excerpt|reviews?|feedback|"
        r"logs?|plan|proposal|argument|draft|list|timeline|model|notes|chapter|resume|cv)\b|"
        r":\s*\n",
        "world_scope": r"\b(global(ly)?|worldwide|around the world|countries|nations|"
        r"international(ly)?|industry|industries|sectors?|governments?|central banks?|"
        r"regulators?|since (19|20)\d\d|over the (past|last) (\w+ )?(years|decades)|"
        r"history of|historical(ly)?|in (europe|asia|africa|north america|south america|"
        r"latin america|the us|the uk|the eu|china|india|japan))\b",
    }.items()
}


_SCREENED: tuple[tuple[str, Screened, bool], ...] = tuple(
    (f"cue:{name}", Screened(pattern), name in _CASE_SENSITIVE) for name, pattern in CUES.items()
)
"""The cues as searched: each skips texts without the literals any match needs (``screen.py``)."""


def normalise(text: str) -> str:
    """Lower case, with typographic apostrophes made plain."""
    return text.lower().replace("\u2019", "'")


def words(lowered: str) -> list[str]:
    """``"cats' toys, 2 of them!" -> ["cat'", "toy", "2", "of", "them"]``: digits kept, a
    plural ``s`` dropped so "lists" and "list" share a weight. Pass ``normalise(text)``."""
    return [_singular(w) for w in _WORD.findall(lowered)]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    return word.removesuffix("'s")


def _length_bucket(count: int) -> str:
    if count <= 4:
        return "len:tiny"
    if count <= 15:
        return "len:short"
    if count <= 50:
        return "len:medium"
    return "len:long"


def extract(text: str) -> frozenset[str]:
    """Every feature of ``text`` (see the module docstring)."""
    lowered = normalise(text)
    ws = words(lowered)
    found = {f"w:{w}" for w in ws}
    found.update(f"b:{a}_{b}" for a, b in itertools.pairwise(ws))
    if ws:
        found.add(f"f:{ws[0]}")
    if len(ws) > 1:
        found.add(f"f2:{ws[0]}_{ws[1]}")
    found.add(_length_bucket(len(ws)))
    found.update(
        feature
        for feature, cue, as_written in _SCREENED
        if cue.search(text if as_written else lowered)
    )
    return frozenset(found)
