"""Build study-material files at test time: text PDFs (a tiny hand-made writer), encrypted and
scanned-looking PDFs, and Word documents.

pypdf cannot lay out text, so `write_pdf` emits a minimal valid PDF itself: one Helvetica font,
one text object per page, optional bookmarks. Text must be Latin-1.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader, PdfWriter


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _page_stream(lines: list[str] | list[tuple[str, str]]) -> bytes:
    """One text object; a line is a string (Helvetica) or (font, text) with font F1 or F2 (Courier)."""
    body = [b"BT /F1 11 Tf 14 TL 72 760 Td"]
    font = "F1"
    for line in lines:
        wanted, text = line if isinstance(line, tuple) else ("F1", line)
        if wanted != font:
            body.append(b"/%s 10 Tf" % wanted.encode())
            font = wanted
        body.append(b"(" + _escape(text) + b") Tj T*")
    body.append(b"ET")
    return b"\n".join(body)


def pdf_bytes(pages: list[list[str]], bookmarks: list[tuple[str, int]] | None = None) -> bytes:
    """A PDF with one page per list of lines; `bookmarks` are (title, page index) outline entries."""
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the outline exists
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    mono = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for lines in pages:
        stream = _page_stream(lines) if lines else b""
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>" % (pages_id, font, mono, content)))
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    outline_ref = b""
    if bookmarks:
        root = add(b"")
        first = len(objects) + 1
        items = list(range(first, first + len(bookmarks)))
        for k, (title, page) in enumerate(bookmarks):
            links = b""
            if k > 0:
                links += b" /Prev %d 0 R" % items[k - 1]
            if k + 1 < len(items):
                links += b" /Next %d 0 R" % items[k + 1]
            add(b"<< /Title (" + _escape(title) + b") /Parent %d 0 R /Dest [%d 0 R /XYZ 0 792 0]" % (root, page_ids[page]) + links + b" >>")
        objects[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (items[0], items[-1], len(items))
        outline_ref = b" /Outlines %d 0 R /PageMode /UseOutlines" % root
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R" % pages_id + outline_ref + b" >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def write_pdf(path: Path, pages: list[list[str]], bookmarks: list[tuple[str, int]] | None = None) -> Path:
    path.write_bytes(pdf_bytes(pages, bookmarks))
    return path


def write_encrypted_pdf(path: Path, pages: list[list[str]], password: str = "secret") -> Path:
    """A copy of a text PDF that needs `password` to open (pypdf's own encryption)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(password, algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_docx(path: Path, blocks: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    """A Word file from (kind, text) blocks: kind is "h1".."h3", "p", "number" or "bullet"."""
    import docx

    document = docx.Document()
    for kind, text in blocks:
        if kind.startswith("h"):
            document.add_heading(text, level=int(kind[1:]))
        elif kind == "number":
            document.add_paragraph(text, style="List Number")
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


_ROOTS = "hydro geo litho bio chemo thermo photo aero cryo magneto electro seismo limno pedo dendro petro".split()
_ENDS = "lysis sphere cline morph genesis tropy phile stasis meter graph plasm cyte zone gen lith".split()
_ADJECTIVES = "dense porous stable layered acidic saline fertile coarse humid ancient shallow mobile".split()
_VERBS = "controls shapes releases stores transports absorbs reflects erodes deposits regulates".split()


def long_text(pages: int, *, headings: bool = True) -> str:
    """About `pages` pages (~3,000 characters each) of varied study text with chapters,
    numbered sections, definitions and step lists, built from a few hundred made-up terms."""
    import random

    rng = random.Random(pages * 7919 + headings)
    terms = sorted({r + e for r in _ROOTS for e in _ENDS})
    rng.shuffle(terms)
    chapters = max(3, pages // 10)
    parts: list[str] = []
    size = 0
    chapter = 0
    while size < pages * 3000:
        chapter += 1
        pool = terms[(chapter * 12) % len(terms) :][:24] or terms[:24]
        if headings:
            parts.append(f"CHAPTER {chapter}: {pool[0].upper()} AND {pool[1].upper()}\n")
        for section in range(1, 4):
            if headings:
                parts.append(f"{chapter}.{section} The {pool[section + 1]} in practice\n")
            for _ in range(3):
                paragraph = [_sentence(rng, pool) for _ in range(rng.randint(5, 8))]
                parts.append(" ".join(paragraph) + "\n")
            if section == 2:
                steps = rng.sample(pool, 4)
                parts.append("\n".join(f"{k}. The {a} {rng.choice(_VERBS)} the {rng.choice(pool)}." for k, a in enumerate(steps, start=1)) + "\n")
        size = sum(len(part) for part in parts)
        if chapter > chapters * 20:
            break
    return "\n".join(parts)


def _sentence(rng, pool: list[str]) -> str:
    a, b, c = rng.sample(pool, 3)
    adjective, verb = rng.choice(_ADJECTIVES), rng.choice(_VERBS)
    return rng.choice(
        [
            f"{a.capitalize()} is the {adjective} layer that {verb} the {b} in the {c}.",
            f"The {a} {verb} the {b}, because the {c} is {adjective} in most regions.",
            f"A {adjective} {a} is called a {b} when it {verb} the {c} for many years.",
            f"Field studies show that the {a} {verb} the {b} faster where the {c} is {adjective}.",
            f"Students compare the {a} with the {b} to explain why the {c} looks {adjective}.",
            f"In {rng.randint(1900, 2020)}, researchers measured the {a} and found about {rng.randint(2, 95)} percent of the {b} near the {c}.",
        ]
    )


# ---------------------------------------------------------------------------------------------
# A code-heavy tutorial, in the shape of the Python tutorial's control-flow chapter: prose with
# inline code, indented code blocks, `>>>` interpreter sessions and fenced blocks. One list of
# blocks, written out as Markdown, reStructuredText, Word and PDF, so every reader is tested on
# the same material. Inline code is marked `like this` in the prose.

CONTROL_FLOW: list[tuple[str, str]] = [
    ("h1", "More Control Flow Tools"),
    ("p", "Besides the `while` statement, Python knows the usual control flow statements of other languages, with some twists. "
          "A control flow statement decides which part of a program runs next. This chapter shows each statement with a short example."),
    ("h2", "if Statements"),
    ("p", "The `if` statement is the best known control flow statement. It runs a block of code only when a condition is true, "
          "and the `elif` and `else` parts give the other cases. For example:"),
    ("session", ">>> x = int(input(\"Please enter an integer: \"))\nPlease enter an integer: 42\n>>> if x < 0:\n...     x = 0\n"
                "...     print('Negative changed to zero')\n... elif x == 0:\n...     print('Zero')\n... else:\n...     print('More')\n...\nMore"),
    ("p", "There can be zero or more `elif` parts, and the `else` part is optional. The keyword `elif` is short for else if, "
          "and it avoids deep indentation. An if chain is a substitute for the switch statement found in other languages."),
    ("h2", "for Statements"),
    ("p", "The `for` statement in Python differs a little from the one in C. A for loop is a loop that iterates over the items of any sequence, "
          "such as a list or a string, in the order that they appear in the sequence. For example:"),
    ("code", "words = ['cat', 'window', 'defenestrate']\nfor w in words:\n    print(w, len(w))"),
    ("p", "Code that changes a collection while iterating over the same collection can be tricky to get right. "
          "Instead, it is usually simpler to loop over a copy of the collection or to create a new collection."),
    ("h2", "The range() Function"),
    ("p", "The built-in function `range()` is the simplest way to iterate over a sequence of numbers. "
          "It generates arithmetic progressions, and the given end point is never part of the generated sequence:"),
    ("session", ">>> for i in range(5):\n...     print(i)\n...\n0\n1\n2\n3\n4"),
    ("p", "It is possible to let the range start at another number, or to specify a different increment, which is called the step. "
          "The step may even be negative. A range object is an iterable that returns the successive items of the sequence when you iterate over it, "
          "but it does not really make the list, which saves space."),
    ("h2", "break and continue Statements"),
    ("p", "The `break` statement breaks out of the innermost enclosing `for` or `while` loop. "
          "The `continue` statement continues with the next iteration of the loop. A loop else clause is a block that runs when the loop finishes without a break:"),
    ("code", "for n in range(2, 10):\n    for x in range(2, n):\n        if n % x == 0:\n            print(n, 'equals', x, '*', n//x)\n            break\n"
             "    else:\n        # loop fell through without finding a factor\n        print(n, 'is a prime number')"),
    ("p", "When used with a loop, the `else` clause has more in common with the `else` clause of a `try` statement than with that of `if` statements. "
          "The statement `result.append(a)` calls a method of the list object, and a method is a function that belongs to an object."),
    ("h2", "pass Statements"),
    ("p", "The `pass` statement does nothing. It can be used when a statement is required by the syntax but the program requires no action. "
          "This is commonly used for creating minimal classes:"),
    ("fenced", "class MyEmptyClass:\n    pass"),
    ("h2", "match Statements"),
    ("p", "A `match` statement takes an expression and compares its value to successive patterns given as one or more case blocks. "
          "A pattern is a template that describes the shape of the data it matches. Only the first pattern that matches gets executed:"),
    ("fenced", "def http_error(status):\n    match status:\n        case 400:\n            return \"Bad request\"\n        case 404:\n            return \"Not found\"\n"
               "        case _:\n            return \"Something's wrong with the internet\""),
    ("p", "The variable name `_` acts as a wildcard and never fails to match. If no case matches, none of the branches is executed."),
    ("h2", "Defining Functions"),
    ("p", "We can create a function that writes the Fibonacci series to an arbitrary boundary. "
          "The keyword `def` introduces a function definition, and it must be followed by the function name and the list of formal parameters:"),
    ("session", ">>> def fib(n):    # write Fibonacci series less than n\n...     \"\"\"Print a Fibonacci series less than n.\"\"\"\n...     a, b = 0, 1\n"
                "...     while a < n:\n...         print(a, end=' ')\n...         a, b = b, a+b\n...     print()\n...\n>>> fib(2000)\n"
                "0 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987 1597"),
    ("p", "The statements that form the body of the function start at the next line, and they must be indented. "
          "A docstring is a string literal that is the first statement of the function body. The execution of a function introduces a new symbol table for its local variables."),
    ("h2", "More on Defining Functions"),
    ("p", "It is also possible to define functions with a variable number of arguments. There are three forms, which can be combined."),
    ("h3", "Default Argument Values"),
    ("p", "The most useful form is to specify a default value for one or more arguments. A default value is a value that a parameter takes when the caller leaves it out. "
          "This creates a function that can be called with fewer arguments than it is defined to allow:"),
    ("code", "def ask_ok(prompt, retries=4, reminder='Please try again!'):\n    while True:\n        reply = input(prompt)\n        if reply in {'y', 'ye', 'yes'}:\n"
             "            return True\n        if reply in {'n', 'no', 'nop', 'nope'}:\n            return False\n        retries = retries - 1\n"
             "        if retries < 0:\n            raise ValueError('invalid user response')\n        print(reminder)"),
    ("p", "The default values are evaluated at the point of function definition in the defining scope. "
          "The default value is evaluated only once, which makes a difference when the default is a mutable object such as a list."),
    ("h3", "Keyword Arguments"),
    ("p", "Functions can also be called using keyword arguments of the form `kwarg=value`. A keyword argument is an argument preceded by an identifier in a function call. "
          "In a function call, keyword arguments must follow positional arguments:"),
    ("session", ">>> def parrot(voltage, state='a stiff', action='voom'):\n...     print(\"-- This parrot wouldn't\", action, end=' ')\n"
                "...     print(\"if you put\", voltage, \"volts through it.\")\n...\n>>> parrot(1000)\n"
                "-- This parrot wouldn't voom if you put 1000 volts through it."),
    ("p", "No argument may receive a value more than once. When a final formal parameter of the form `**name` is present, it receives a dictionary containing all keyword arguments."),
    ("h3", "Lambda Expressions"),
    ("p", "Small anonymous functions can be created with the `lambda` keyword. A lambda expression is an expression that makes a small function without a name. "
          "Lambda functions can be used wherever function objects are required:"),
    ("session", ">>> def make_incrementor(n):\n...     return lambda x: x + n\n...\n>>> f = make_incrementor(42)\n>>> f(0)\n42\n>>> f(1)\n43"),
    ("p", "Semantically, lambda functions are just syntactic sugar for a normal function definition. "
          "Like nested function definitions, lambda functions can reference variables from the containing scope."),
    ("h3", "Documentation Strings"),
    ("p", "The first line of a docstring should always be a short, concise summary of the purpose of the object. "
          "If there are more lines in the documentation string, the second line should be blank, visually separating the summary from the rest of the description. "
          "Here is an example of a multi-line docstring:"),
    ("code", "def my_function():\n    \"\"\"Do nothing, but document it.\n\n    No, really, it doesn't do anything.\n    \"\"\"\n    pass\n\nprint(my_function.__doc__)"),
    ("p", "The Python parser does not strip indentation from multi-line string literals, so tools that process documentation have to strip indentation if desired."),
]

CODE_KINDS = ("code", "session", "fenced")


def control_flow_code_blocks() -> list[str]:
    """Every code block of the tutorial, exactly as written (line breaks and indentation)."""
    return [text for kind, text in CONTROL_FLOW if kind in CODE_KINDS]


def control_flow_markdown() -> str:
    """Markdown as a converted tutorial has it: indented blocks, bare `>>>` sessions, fences."""
    out: list[str] = []
    for kind, text in CONTROL_FLOW:
        if kind.startswith("h"):
            out.append("#" * int(kind[1:]) + " " + text)
        elif kind == "p":
            out.append(text)
        elif kind == "code":
            out.append("\n".join("    " + line if line else "" for line in text.split("\n")))
        elif kind == "session":
            out.append(text)  # not indented: a `>>>` line would read as a nested quote in Markdown
        else:
            out.append("```python\n" + text + "\n```")
    return "\n\n".join(out) + "\n"


def control_flow_rst() -> str:
    """reStructuredText: ``literals``, `::` literal blocks, doctest blocks, a code-block directive."""
    underline = {"h1": "=", "h2": "-", "h3": "~"}
    out: list[str] = []
    pending_literal = False
    for kind, text in CONTROL_FLOW:
        if kind.startswith("h"):
            out.append(text + "\n" + underline[kind] * len(text))
        elif kind == "p":
            prose = re.sub(r"`([^`]+)`", r"``\1``", text)
            pending_literal = prose.endswith(":")
            out.append(prose + (":" if pending_literal else ""))  # "For example::"
        elif kind == "session":
            if pending_literal:  # a doctest block needs no `::`
                out[-1] = out[-1][:-1]
            out.append(text)
        elif kind == "code":
            out.append("\n".join("   " + line if line else "" for line in text.split("\n")))
        else:
            if pending_literal:
                out[-1] = out[-1][:-1]
            out.append(".. code-block:: python\n\n" + "\n".join("   " + line if line else "" for line in text.split("\n")))
    return "\n\n".join(out) + "\n"


MONO_FONT = "Courier New"


def write_control_flow_docx(path: Path) -> Path:
    """Word: headings by style, code as paragraphs in a monospace font (one per line, as people
    paste it), inline code as monospace runs."""
    import docx

    document = docx.Document()
    for kind, text in CONTROL_FLOW:
        if kind.startswith("h"):
            document.add_heading(text, level=int(kind[1:]))
        elif kind == "p":
            paragraph = document.add_paragraph()
            for k, part in enumerate(re.split(r"`([^`]+)`", text)):
                if part:
                    run = paragraph.add_run(part)
                    if k % 2:
                        run.font.name = MONO_FONT
        else:
            for line in text.split("\n"):
                run = document.add_paragraph().add_run(line)
                run.font.name = MONO_FONT
    document.save(str(path))
    return path


def write_control_flow_pdf(path: Path) -> Path:
    """PDF: prose in Helvetica (wrapped), code lines in Courier, headings as bookmarks."""
    lines: list[tuple[str, str]] = []  # (font, text)
    bookmarks: list[tuple[str, int]] = []
    for kind, text in CONTROL_FLOW:
        if kind.startswith("h"):
            lines.append(("F1", text))
            bookmarks.append((text, -1))
        elif kind == "p":
            lines.extend(("F1", line) for line in _wrap(text.replace("`", ""), 90))
        else:
            lines.extend(("F2", line) for line in text.split("\n"))
        lines.append(("F1", ""))
    pages: list[list[tuple[str, str]]] = [[]]
    for entry in lines:
        if len(pages[-1]) >= 48:
            pages.append([])
        pages[-1].append(entry)
        if entry[0] == "F1" and bookmarks and any(title == entry[1] and page < 0 for title, page in bookmarks):
            k = next(i for i, (title, page) in enumerate(bookmarks) if title == entry[1] and page < 0)
            bookmarks[k] = (entry[1], len(pages) - 1)
    return write_pdf(path, pages, bookmarks=bookmarks)  # type: ignore[arg-type]


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*out, line] if line else out
