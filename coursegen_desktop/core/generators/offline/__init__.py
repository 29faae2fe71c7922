"""The offline generator: an extractive course builder from the user's own material.

No network and no model. Every sentence in a lesson and every quiz key is taken from the
material, so the course is grounded by construction (docs/course-quality.md, "Offline generator").
The pipeline follows Agarwal & Mannem (2011): split sentences, score them (keyword centrality,
definitional cues), choose key terms that occur in them, and take distractors of the same shape
from the same material, rejecting any that would make the sentence true.

Deterministic: the same material, request and job id give the same course, so a resumed job
continues exactly where it stopped. The text index is built once per material object.
"""

from __future__ import annotations

from coursegen_desktop.core.generators.offline.generator import (
    NO_MATERIAL,
    OfflineGenerator,
)

__all__ = ["NO_MATERIAL", "OfflineGenerator"]
