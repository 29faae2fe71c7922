"""Choosing a generator for a request: the one place the engine, the GUI's job workers and the
CLI turn a `CourseRequest` into a backend. Network backends are imported lazily: `import
anthropic` costs about a second, which must not delay a window or an offline run."""

from __future__ import annotations

from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.models import CourseRequest, GeneratorKind


def make_generator(request: CourseRequest) -> Generator:
    if request.generator == GeneratorKind.CLAUDE:
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        return ClaudeGenerator(request)
    if request.generator == GeneratorKind.OPENAI_COMPATIBLE:
        from coursegen_desktop.core.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(request)
    from coursegen_desktop.core.generators.offline import OfflineGenerator

    return OfflineGenerator()
