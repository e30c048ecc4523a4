"""Tags.of(...) for custom resources, which CDK's Tag aspect does not reach.

The construct is ITaggable with a TagManager; Tags.of() fills it in an aspect
of mutating priority. This aspect runs after it (default priority) and writes
the result into the custom resource's ``Tags`` property, checking the
concrete values against the WorkSpaces limits.
"""

from __future__ import annotations

import jsii
from aws_cdk import AspectPriority, Aspects, CfnResource, IAspect, TagManager
from constructs import IConstruct

from cdk_workspace_image._validation import concrete_items, fail
from cdk_workspace_image.runtime import contract


def render_tags(tags: TagManager, resource: IConstruct) -> None:
    """Write ``tags`` into the ``Tags`` property of ``resource``'s CloudFormation resource."""
    cfn = resource.node.default_child
    assert isinstance(cfn, CfnResource)
    Aspects.of(cfn).add(_RenderTags(tags, cfn), priority=AspectPriority.DEFAULT)


@jsii.implements(IAspect)
class _RenderTags:
    def __init__(self, tags: TagManager, cfn: CfnResource) -> None:
        self._tags = tags
        self._cfn = cfn

    def visit(self, node: IConstruct) -> None:
        if node.node.path != self._cfn.node.path:
            return
        values = dict(self._tags.tag_values())
        fail(node.node.path, contract.tags_errors(concrete_items(values), "tags"))
        self._cfn.add_property_override(
            contract.PROP_TAGS, [{"Key": key, "Value": values[key]} for key in sorted(values)]
        )
