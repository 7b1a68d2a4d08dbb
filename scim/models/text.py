"""Text a client sends must be Unicode that UTF-8 can carry.

Python strings can hold lone surrogates (U+D800 to U+DFFF), which JSON's ``\\ud800`` escapes and
lenient decoders produce; UTF-8 cannot encode them, so hashing, storing or comparing such text
fails far from where it arrived. Every place that decodes client text checks it with this.
"""

from __future__ import annotations


def is_unicode(text: str) -> bool:
    """True unless ``text`` holds a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
