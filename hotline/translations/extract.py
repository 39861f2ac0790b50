"""Babel extractors for texts kept outside Python and templates (babel.cfg's [extractors]).

`legal_rules` reads hotline/legal_clocks.yaml: each rule's title, short, explanation and
needs_info (English) become message ids in context "legal:<field>", as hotline.legal_clocks
translates them.

`flow_texts` reads an intake flow (ivr_flows/flows/*.yaml): each node's prompt and sms_prompt
and each choice's label written as one English string become message ids in context
"flow:<flow>:<node>", as ivr_flows.loader translates them. A text written as a mapping of
languages is the flow's own and is not extracted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import yaml

from hotline.legal_clocks import TEXT_FIELDS

Extracted = Iterator[tuple[int, str, tuple[str, str], list[str]]]
FLOW_TEXT_KEYS = ("prompt", "sms_prompt")


def legal_rules(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                options: Mapping[str, Any]) -> Extracted:
    """(line, "pgettext", (context, English text), comments) for each rule's texts."""
    root = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    for key, rules in getattr(root, "value", []):
        if key.value != "rules":
            continue
        for rule in rules.value:
            for field, node in rule.value:
                if field.value in TEXT_FIELDS and isinstance(node, yaml.ScalarNode):
                    yield (node.start_mark.line + 1, "pgettext",
                           (f"legal:{field.value}", str(node.value).strip()), [])


def flow_texts(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
               options: Mapping[str, Any]) -> Extracted:
    """(line, "pgettext", (context, English text), comments) for each node's texts."""
    root = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    top = dict((k.value, v) for k, v in getattr(root, "value", []))
    name_node = top.get("name")
    name = str(name_node.value) if isinstance(name_node, yaml.ScalarNode) else Path(
        getattr(fileobj, "name", "flow")).stem
    nodes = top.get("nodes")
    for node_id, node in getattr(nodes, "value", []):
        context = f"flow:{name}:{node_id.value}"
        for key, value in getattr(node, "value", []):
            if key.value in FLOW_TEXT_KEYS:
                yield from _scalar(value, context)
            elif key.value == "choices":
                for choice in getattr(value, "value", []):
                    for ckey, cvalue in getattr(choice, "value", []):
                        if ckey.value == "label":
                            yield from _scalar(cvalue, context)


def _scalar(node: yaml.Node, context: str) -> Extracted:
    if isinstance(node, yaml.ScalarNode) and str(node.value).strip():
        yield node.start_mark.line + 1, "pgettext", (context, str(node.value)), []
