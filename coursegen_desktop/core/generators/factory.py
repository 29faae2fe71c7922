"""Choosing a generator for a request: the one place the engine, the GUI's job workers and the
CLI turn a `CourseRequest` into a backend. Network backends are imported lazily: `import
anthropic` costs about a second, which must not delay a window or an offline run."""

from __future__ import annotations

from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.models import CourseRequest, GeneratorKind


def make_generator(request: CourseRequest, *, offline_in_child: bool = False) -> Generator:
    """The backend for this request. `offline_in_child` (the engine's choice) runs the offline
    generator's CPU-bound work in a child process, off the engine's interpreter lock."""
    if request.generator == GeneratorKind.CLAUDE:
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        return ClaudeGenerator(request)
    if request.generator == GeneratorKind.OPENAI_COMPATIBLE:
        from coursegen_desktop.core.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(request)
    if offline_in_child:
        from coursegen_desktop.core.generators.offline.child import OfflineGeneratorProcess

        return OfflineGeneratorProcess()
    from coursegen_desktop.core.generators.offline import OfflineGenerator

    return OfflineGenerator()
