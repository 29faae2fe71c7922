"""JSON schemas inside what strict structured output accepts.

With `strict: true` (Anthropic tools; OpenAI-style `json_schema` response formats) the server
decodes only answers that match the schema, but it accepts only a subset of JSON Schema: every
object closed (`additionalProperties: false`) with every property required, no numeric or
length bounds, `minItems` of 0 or 1 at most, no `$ref` recursion. Pydantic's schemas say more
than that (`minItems: 2` on options, defaults, titles), so `strict_schema` removes what strict
mode refuses; the validators and `tolerance` still check those rules after decoding, and a repair
turn asks for what a schema cannot say.
"""

from __future__ import annotations

from typing import Any

# Keywords strict mode accepts (with `minItems` limited to 0 or 1).
ALLOWED_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const", "description", "minItems"})


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A self-contained copy of `schema` (pydantic output, `$ref`s resolved) that strict mode accepts."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            return walk({**target, **{k: v for k, v in node.items() if k != "$ref"}})
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: walk(sub) for name, sub in value.items()}
            elif key == "minItems":
                if value in (0, 1):
                    out[key] = value
            elif key in ALLOWED_KEYWORDS:
                out[key] = walk(value)
        if out.get("type") == "object" or "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out

    return walk(schema)


def strict_problems(schema: Any, path: str = "$") -> list[str]:
    """Why `schema` would be refused in strict mode (empty when it is accepted)."""
    problems: list[str] = []
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            problems += strict_problems(item, f"{path}[{index}]")
        return problems
    if not isinstance(schema, dict):
        return problems
    for key in schema:
        if key not in ALLOWED_KEYWORDS:
            problems.append(f"{path}: keyword {key!r} is not allowed")
    if "minItems" in schema and schema["minItems"] not in (0, 1):
        problems.append(f"{path}: minItems {schema['minItems']} (only 0 or 1)")
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        if set(schema.get("required", [])) != set(schema.get("properties", {})):
            problems.append(f"{path}: every property must be required")
    for name, sub in (schema.get("properties") or {}).items():
        problems += strict_problems(sub, f"{path}.{name}")
    for key in ("items", "anyOf"):
        if key in schema:
            problems += strict_problems(schema[key], f"{path}.{key}")
    return problems
