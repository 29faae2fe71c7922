"""Code in study material: how readers recognise it and how it travels in chunk text.

Every reader turns code it can tell apart (fenced or indented Markdown blocks, reStructuredText
`::` and code-block directives, `>>>` interpreter sessions, monospace runs in PDF and Word) into a
code block, and chunks carry it as a Markdown fenced block with its line breaks and indentation.
Whoever reads chunk text (the offline generator, the Claude prompts) splits it with
`split_fenced`, so code is never cut into sentences: no question, key point or flashcard is ever
made from a line of code.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

SESSION_LANG = "pycon"  # what Markdown renderers call a Python interactive session

_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$")
_PROMPT = re.compile(r"^\s*>>>(?:\s|$)")
_CONTINUATION = re.compile(r"^\s*\.\.\.(?:\s|$)")
# Lines that only code looks like: a statement keyword with its shape, an assignment, a call
# alone on its line, a comment, braces or a trailing semicolon.
_CODE_LINE = re.compile(
    r"""^\s*(?:
        (?:def|class)\s+\w+\s*[(:]
      | (?:import\s+[\w.]+|from\s+[\w.]+\s+import\s)
      | (?:if|elif|while|with|except|match|case)\s[^.!?]*:\s*(?:\#.*)?$
      | for\s+[\w, ()]+\s+in\s[^.!?]*:\s*(?:\#.*)?$
      | (?:else|try|finally|except)\s*:\s*(?:\#.*)?$
      | (?:return|yield|raise|print|pass|break|continue)\b(?:\s*[(\w'"\[{].*)?$
      | [A-Za-z_][\w.\[\]'"]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?:[-+*/%|&^]|//|\*\*)?=(?!=)\s*\S.*
      | [A-Za-z_][\w.]*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*;?\s*$
      | \#\s.*
      | [{}\[\]]\s*$
      | .*;\s*$
      | (?:const|let|var|function|public|private|static|void|int|return)\s.*[;{]\s*$
    )""",
    re.X,
)


_MONOSPACE = re.compile(r"mono|courier|consol|menlo|monaco|typewriter|fixed|inconsolata|lucida\s*console|cmtt|code|andale", re.I)


def is_monospace_font(name: str | None) -> bool:
    """A font name (PDF BaseFont such as `ABCDEF+DejaVuSansMono`, or a Word font) of a monospace face."""
    return bool(name) and bool(_MONOSPACE.search(name.split("+", 1)[-1]))


_BARE_STATEMENT = re.compile(r"^(?:pass|break|continue|return|else:|try:|finally:|\}|\};?)$")


@dataclass(frozen=True)
class Segment:
    """A run of prose, or one code block (with the language its fence named, if any)."""

    text: str
    code: bool = False
    lang: str = ""


def fence(code: str, lang: str = "") -> str:
    """A fenced block that survives code containing backticks (the fence is longer than any run)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}{lang}\n{code}\n{ticks}"


def split_fenced(text: str) -> list[Segment]:
    """Chunk text as prose and code segments, in order (the inverse of `fence`)."""
    segments: list[Segment] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if not opened:
            prose.append(lines[i])
            i += 1
            continue
        marker = opened.group(1)
        body: list[str] = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(marker[0] * len(marker)) and not lines[i].strip().strip(marker[0])):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence (or the end of the text)
        if "\n".join(prose).strip():
            segments.append(Segment("\n".join(prose).strip("\n")))
        prose = []
        if any(line.strip() for line in body):
            segments.append(Segment("\n".join(body), code=True, lang=opened.group(2)))
    if "\n".join(prose).strip():
        segments.append(Segment("\n".join(prose).strip("\n")))
    return segments


def tidy_code(text: str) -> str:
    """Blank lines off both ends, trailing spaces off each line, common indentation removed."""
    lines = [line.rstrip() for line in text.replace("\t", "    ").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(lines))


def collect_indented(lines: list[str], i: int, indented: re.Pattern[str]) -> tuple[str, int]:
    """Lines matching `indented` from line i, with the blank lines between them, dedented."""
    body: list[str] = []
    while i < len(lines) and (indented.match(lines[i]) or not lines[i].strip()):
        if not lines[i].strip():
            ahead = next((line for line in lines[i + 1 :] if line.strip()), "")
            if not indented.match(ahead):
                break
        body.append(lines[i].rstrip())
        i += 1
    return tidy_code("\n".join(body)), i


def is_prompt(line: str) -> bool:
    """`>>> ` starts a line typed at the Python prompt."""
    return bool(_PROMPT.match(line))


def collect_session(lines: list[str], i: int, *, until_blank: bool = True) -> tuple[str, int]:
    """An interpreter session from line i: prompts, continuation lines and their output, up to
    a blank line (as doctest blocks end). Without blank lines (PDF text), output is one line at
    most after the last prompt, and only when it does not read as a sentence."""
    body: list[str] = []
    last_prompt = i
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        if is_prompt(line) or _CONTINUATION.match(line):
            last_prompt = i
        elif not until_blank and (i > last_prompt + 1 or _reads_as_prose(line)):
            break
        body.append(line.rstrip())
        i += 1
    return tidy_code("\n".join(body)), i


def looks_like_code(line: str) -> bool:
    """True for a line that reads as program code rather than a sentence (a fallback for
    material whose code cannot be told apart by its font or markup)."""
    stripped = line.strip()
    if not stripped or is_prompt(stripped) or _BARE_STATEMENT.match(stripped):
        return bool(stripped)
    if (_reads_as_prose(stripped) and not stripped.endswith(":")) or not re.search(r"[=()\[\]{}:;#]", stripped):
        return False  # a sentence, or words without a single symbol of code
    return bool(_CODE_LINE.match(stripped))


def _reads_as_prose(line: str) -> bool:
    words = line.split()
    return len(words) >= 6 and bool(re.search(r"[.!?][\"')\]]*$", line.strip())) and line.strip()[:1].isupper()
