"""`coursegen generate … --provider openai-compatible`: courses from a local model server.

The options are added to `generate` (the one command that picks a backend); the job itself is
an ordinary job, run by `cli._run_job` through `make_generator` like any other. The server
address goes into the request (so `resume` finds the same server); a key, if the server needs
one, comes from `OPENAI_API_KEY` or Settings and is never stored with the job.
"""

from __future__ import annotations

import argparse

from coursegen_desktop.core.errors import BadInput
from coursegen_desktop.core.models import LOCAL_BASE_URL_ENV, CourseRequest, GeneratorKind, check_base_url, default_local_base_url

ANTHROPIC = "anthropic"
OPENAI_COMPATIBLE = GeneratorKind.OPENAI_COMPATIBLE.value


def add_generate_options(generate: argparse.ArgumentParser) -> None:
    generate.add_argument(
        "--provider", choices=[ANTHROPIC, OPENAI_COMPATIBLE], default=ANTHROPIC,
        help="who writes the course: Claude (default) or a local OpenAI-compatible server such as Ollama",
    )
    generate.add_argument(
        "--base-url", metavar="URL",
        help=f"the OpenAI-compatible server (default ${LOCAL_BASE_URL_ENV}, else http://localhost:11434/v1); its key comes from OPENAI_API_KEY",
    )


def wants_local(args: argparse.Namespace) -> bool:
    """True for `--provider openai-compatible`; bad combinations are one sentence (exit 2)."""
    if args.provider != OPENAI_COMPATIBLE:
        if args.base_url:
            raise BadInput("--base-url is for a local model server; add --provider openai-compatible.")
        return False
    if args.offline:
        raise BadInput("Choose either --offline or --provider openai-compatible, not both.")
    if not args.model:
        raise BadInput("Name the local model with --model (for example --model llama3.2:3b; `ollama list` shows yours).")
    return True


def local_request(request: CourseRequest, args: argparse.Namespace) -> CourseRequest:
    """`request` for the OpenAI-compatible generator at `--base-url` (or the default server)."""
    try:
        base_url = check_base_url(args.base_url or default_local_base_url())
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return request.model_copy(update={"generator": GeneratorKind.OPENAI_COMPATIBLE, "base_url": base_url})
