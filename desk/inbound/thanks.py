"""Is a reply only a thank-you? Pure.

A requester who answers a resolution e-mail with "Merci !" means the request is done. Taken as
any reply, those words reopened the ticket: back in the queue, the SLA clock running again,
its technician told it came back and left to resolve it a second time. A thank-you is kept in
the ticket's history and passed on to whoever handled it, and the ticket stays resolved.

The test is strict on purpose: the reply's new words (quotes and signature already cut) must
hold a word of thanks and nothing else than the words people write around one (« merci
beaucoup pour votre aide, bonne journée », "thanks, it works now") and the sender's own name.
Any other word ("Merci, mais ça ne marche toujours pas", "merci de me rappeler") is a
message and reopens as before.
"""

from __future__ import annotations

import re
import unicodedata

_THANKS = frozenset({"merci", "mercii", "remercie", "remercions", "thanks", "thank", "thx"})
# What surrounds a thank-you, and a confirmation that it works; never a negation ("ne",
# "pas", "not", "still"), a question or a request ("rappeler", "encore en panne").
_WORD = re.compile(r"[^\W\d_]+")
_AROUND = frozenset(
    _WORD.findall(
        """
        a à accord aide all beaucoup best bien bon bonne bonjour bonsoir c ca ça cela cest
        cheers cordialement d dacord de des du encore end est et excellent fin fix fixed fois
        fonctionne for génial good great have hello help hi il impeccable infiniment it je
        journee journée kind la le les lot many marche merci mille much nice nickel now ok
        okay oui parfait parfaitement perfect pour quick rapide rapidite rapidité reactivite
        réactivité regards regle reglé réglé repare reparé réparé resolu résolu retour
        reponse réponse so soiree soirée super ta te tes the thanks to toi ton top tous tout
        tres très very vos votre vous week weekend works yes you your
        """
    )
)
_LONGEST = 25  # words: a thank-you is short; anything longer is read as a message


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text.replace("’", "'")).casefold()
    return _WORD.findall(text)


def thanks_only(text: str, name: str = "") -> bool:
    """Whether `text`, a reply's new words, is nothing but a thank-you (signed with `name`,
    the sender's name, or not)."""
    words = _words(text)
    if not words or len(words) > _LONGEST or not _THANKS.intersection(words):
        return False
    own = set(_words(name))
    return all(word in _AROUND or word in _THANKS or word in own for word in words)
