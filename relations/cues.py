"""Cue words that suggest an event's PLOVER category, per language, and the guess made from them.

Data first: the machine coder to come (``coding``) should read this same table (or move it to
an editable lexicon and point this module at it) so a statement's category is guessed one way.

A cue is the start of a word (``condemn`` also matches "condemns", "condemned") or a phrase
("call for"). In Hebrew and Arabic, where conjunctions and articles are written onto the word
("ו", "ה", "و", "ال"), a cue may also sit inside a word. Following PLOVER, criticism and
condemnation are ACCUSE; PROTEST is for demonstrations, rallies and strikes, not words. A guess
only prefills the form: the editor checks it.
"""

from __future__ import annotations

import re
from functools import cache

from relations.categories import Category

CUES: dict[str, dict[str, tuple[str, ...]]] = {
    Category.AGREE: {
        "en": ("agree", "deal ", "deals", "accord", "signs", "signed", "ceasefire", "truce"),
        "ru": ("договор", "соглас", "подписа", "перемири"),
        "he": ("הסכם", "הסכים", "הפסקת אש", "חתמ"),
        "ar": ("اتفاق", "اتفق", "وقع", "هدنة", "وقف إطلاق النار"),
    },
    Category.CONSULT: {
        "en": ("meet", "met ", "talks", "visit", "hosts", "hosted", "phone call", "discuss")
        + ("consult",),
        "ru": ("встреч", "переговор", "визит", "обсуди", "телефонн"),
        "he": ("נפגש", "פגישה", "שיחה", "ביקור", "שיחות"),
        "ar": ("التقى", "لقاء", "محادثات", "زيارة", "اتصال هاتفي"),
    },
    Category.SUPPORT: {
        "en": ("praise", "welcome", "support", "back ", "backs", "endorse", "hail"),
        "ru": ("поддерж", "приветств", "одобр", "похвал"),
        "he": ("תמיכה", "תומך", "בירך", "שיבח"),
        "ar": ("دعم", "يدعم", "رحب", "أشاد", "تأييد"),
    },
    Category.CONCEDE: {
        "en": ("concede", "apologi", "admit", "eases", "eased", "lifts", "lifted"),
        "ru": ("извин", "признал", "уступ"),
        "he": ("התנצל", "הודה"),
        "ar": ("اعتذر", "اعترف", "تنازل"),
    },
    Category.COOPERATE: {
        "en": ("cooperat", "co-operat", "partnership", "work together", "joint"),
        "ru": ("сотруднич", "партнёр", "партнер", "совместн"),
        "he": ("שיתוף פעולה", "משותף"),
        "ar": ("تعاون", "شراكة", "مشترك"),
    },
    Category.AID: {
        "en": ("aid ", "humanitarian", "assistance", "donat", "supplies"),
        "ru": ("помощ", "гуманитар"),
        "he": ("סיוע", "הומניטרי"),
        "ar": ("مساعدات", "إنسانية", "إغاثة"),
    },
    Category.RETREAT: {
        "en": ("withdraw", "pull out", "pulls out", "release", "free ", "frees", "retreat"),
        "ru": ("вывод", "отвод", "освобод"),
        "he": ("נסיג", "שחרור", "שחרר"),
        "ar": ("انسحاب", "انسحب", "أفرج", "إطلاق سراح"),
    },
    Category.DEMAND: {
        "en": ("call for", "calls for", "called for", "urge", "demand", "press for", "ask"),
        "ru": ("призва", "призыва", "потребова", "требу", "настаива"),
        "he": ("דרש", "קרא ל", "דורש"),
        "ar": ("طالب", "دعا إلى", "يحث", "يطالب"),
    },
    Category.ACCUSE: {
        "en": ("accus", "blame", "condemn", "denounce", "criticis", "criticiz", "allege"),
        "ru": ("обвин", "осуди", "осужд", "критик", "возлож"),
        "he": ("האשים", "מאשים", "גינה", "מגנה"),
        "ar": ("اتهم", "أدان", "يدين", "انتقد"),
    },
    Category.REJECT: {
        "en": ("reject", "refuse", "deny", "denies", "denied", "dismiss", "veto", "rule out"),
        "ru": ("отверг", "отказ", "отрица", "опроверг", "вето"),
        "he": ("דחה", "סירב", "הכחיש", "וטו"),
        "ar": ("رفض", "نفى", "فيتو"),
    },
    Category.THREATEN: {
        "en": ("threat", "warn", "ultimatum"),
        "ru": ("угрож", "угроз", "предупред", "пригрози"),
        "he": ("איים", "מאיים", "הזהיר", "איום"),
        "ar": ("هدد", "يهدد", "حذر", "توعد"),
    },
    Category.PROTEST: {
        "en": ("protest", "rally", "rallies", "demonstrat", "strike over", "walkout"),
        "ru": ("протест", "митинг", "демонстрац"),
        "he": ("הפגנה", "מחאה", "הפגינו"),
        "ar": ("احتجاج", "تظاهر", "مظاهرة"),
    },
    Category.SANCTION: {
        "en": ("sanction", "expel", "embargo", "recall", "severs", "severed", "suspend")
        + ("bans", "banned"),
        "ru": ("санкци", "выслал", "высыл", "отозва", "эмбарго"),
        "he": ("סנקצי", "גירש", "החזיר את השגריר"),
        "ar": ("عقوبات", "طرد", "استدعى", "حظر"),
    },
    Category.MOBILIZE: {
        "en": ("mobiliz", "mobilis", "deploy", "troops", "military drill", "exercises"),
        "ru": ("мобилиз", "развер", "учени"),
        "he": ("גיוס", "פריסה", "תרגיל"),
        "ar": ("تعبئة", "نشر قوات", "مناورات"),
    },
    Category.COERCE: {
        "en": ("arrest", "detain", "seize", "blockade", "raid", "deport"),
        "ru": ("арест", "задерж", "блокад", "изъя"),
        "he": ("עצר", "מעצר", "מצור", "פשיטה"),
        "ar": ("اعتقل", "احتجز", "حصار", "مداهمة"),
    },
    Category.ASSAULT: {
        "en": ("attack", "strike", "bomb", "shelling", "shelled", "kill", "missile", "rocket"),
        "ru": ("удар", "атак", "обстрел", "убит", "ракет"),
        "he": ("תקיפה", "תקף", "הפציץ", "רקט", "טיל", "נהרג"),
        "ar": ("هجوم", "غارة", "قصف", "قتل", "صاروخ"),
    },
}

# Languages whose words carry attached prefixes: cues match inside words there.
_INFIXED = frozenset({"he", "ar"})


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for category, by_language in CUES.items():
        for language, cues in by_language.items():
            start = "" if language in _INFIXED else r"\b"
            for cue in cues:
                # A trailing space in a cue ("met ", "back ") means "this whole word".
                body = re.escape(cue.rstrip()) + (r"\b" if cue.endswith(" ") else r"\w*")
                patterns.append((re.compile(start + body, re.IGNORECASE), str(category)))
    return patterns


def guess_category(*texts: str) -> tuple[str, str] | None:
    """The category of the first cue met in ``texts`` (a headline before its summary: the
    headline's verb is the event), with the word or phrase that matched; None when none matches."""
    for text in texts:
        best: tuple[int, str, str] | None = None
        for pattern, category in _patterns():
            match = pattern.search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), category, match.group())
        if best is not None:
            return best[1], best[2]
    return None
