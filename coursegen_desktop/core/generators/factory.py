"""Choosing a generator for a request. The Claude backend is imported lazily: `import anthropic`
costs about a second, which must not delay a window or an offline run."""

from __future__ import annotations

from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.models import CourseRequest, GeneratorKind


def make_generator(request: CourseRequest) -> Generator:
    if request.generator == GeneratorKind.CLAUDE:
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        return ClaudeGenerator(request)
    from coursegen_desktop.core.generators.offline import OfflineGenerator

    return OfflineGenerator()
