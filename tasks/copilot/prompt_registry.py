"""The copilot's prompt as a registered artifact: MLflow's prompt registry, versioned and aliased
like the model it goes with.

One chat prompt per registered model (`<register.model_name>-prompt`): the system message and
the user template of `prompt`, with its slots in the registry's `{{slot}}` form. Registering
the copilot registers its prompt only when the text changed (a version is immutable, so the same
text keeps its version), points the prompt's `challenger` alias at it, and the model version
names it (`prompt_uri` in its config, `prompt_version` tag); promotion moves `champion` on both.
"""

from __future__ import annotations

import re
from typing import Any

from tasks.params import Params

SLOT = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def prompt_name(params: Params) -> str:
    return f"{params.register_.model_name}-prompt"


def registry_form(template: str) -> str:
    """`{question}` (our str.format slots) -> `{{question}}` (the registry's variables)."""
    return SLOT.sub(r"{{\1}}", template)


def chat_template(params: Params) -> list[dict[str, str]]:
    p = params.prompt
    return [
        {"role": "system", "content": p.system},
        {"role": "user", "content": registry_form(p.user_template)},
    ]


def register_prompt(params: Params, commit_message: str, tags: dict[str, str]) -> Any:
    """The prompt version with this text (registering one only if the text is new)."""
    import mlflow.genai
    from mlflow.exceptions import MlflowException

    name = prompt_name(params)
    template = chat_template(params)
    try:
        latest = mlflow.genai.load_prompt(f"prompts:/{name}@latest")
    except MlflowException:
        latest = None
    if latest is not None and latest.template == template:
        return latest
    return mlflow.genai.register_prompt(
        name=name, template=template, commit_message=commit_message, tags=tags
    )


def set_prompt_alias(params: Params, alias: str, version: int | str) -> None:
    import mlflow.genai

    mlflow.genai.set_prompt_alias(prompt_name(params), alias=alias, version=int(version))
