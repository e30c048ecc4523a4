"""How a bundle, a copy or an updated image refers to the image it uses.

In its own stack, by id: ``Fn::GetAtt``, which also orders the two resources.
From another stack (or another Region), by name: an image id changes with
every version, and an id passed between stacks would be a CloudFormation
export, which CloudFormation refuses to change while another stack imports it
(CDK's cross-Region references refuse it the same way). The name is a literal
known at synth, so it goes in the consumer's own template, where `cdk diff`
shows each new version; the handler finds the image by it at deploy time, and
the consumer's stack is made to deploy after the image's (docs/release.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Annotations, Stack, Token
from constructs import Construct

from cdk_workspace_image._validation import fail
from cdk_workspace_image.workspace_image import IWorkspaceImage, WorkspaceImageBase


@dataclass(frozen=True)
class ImageReference:
    """An image as a consumer's properties name it."""

    # The id (in the consumer's own stack), or None: found by name at deploy.
    image_id: str | None
    # The literal name, when the image is one of this library's and it is known.
    image_name: str | None
    # The image's Region, as the consumer's template can say it.
    region: str
    # What the consumer should warn about (Annotations), once it exists.
    warning: str | None = None

    @property
    def by_name(self) -> bool:
        return self.image_id is None


def refer(
    scope: Construct, consumer_id: str, image: IWorkspaceImage, label: str, *, same_region: bool
) -> ImageReference:
    """How the consumer ``consumer_id`` about to be made in ``scope`` names ``image``
    (its argument ``label``); called before the consumer exists, to validate first.

    ``same_region``: the consumer can use only an image of its own Region (a
    bundle, an updated image); otherwise it takes one from any (a copy).
    Raises ``ValidationError`` when the image cannot be found by name at deploy.
    """
    here = Stack.of(scope)
    consumer_path = f"{scope.node.path}/{consumer_id}"
    if not isinstance(image, Construct):
        # Some other IWorkspaceImage: its id is all there is, in the consumer's Region.
        return ImageReference(image.image_id, None, here.region)
    there = Stack.of(image)
    if not isinstance(image, WorkspaceImageBase) or _top(there) is _top(here):
        name = image._literal_name if isinstance(image, WorkspaceImageBase) else None
        return ImageReference(image.image_id, name, there.region)
    where = f'"{label}" ({image.node.path}, in stack {there.stack_name})'
    name = image._literal_name
    if name is None:
        fail(
            consumer_path,
            [
                f'{where} has a token for "image_name": a construct of another stack finds '
                "the image by its name at deploy, so the name must be a string known at synth"
            ],
        )
    if image._may_be_its_source:
        fail(
            consumer_path,
            [
                f"{where} is an UpdatedWorkspaceImage that is its source image when there is "
                "no update (if_no_update USE_SOURCE): then no image bears its name for this "
                "stack to find. Give it if_no_update=NoUpdate.FAIL, or use its source here"
            ],
        )
    if _differ(here.account, there.account):
        fail(
            consumer_path,
            [
                f"{where} belongs to account {there.account}, and this stack to "
                f"{here.account}: only an image this account owns can be found by name. "
                'Share it (share_with_accounts) and copy it here with "source_image_id" and '
                '"source_region"'
            ],
        )
    region = _region(here, there, where, consumer_path, same_region=same_region)
    here.add_stack_dependency(
        there, f"{consumer_path} finds image {name} at deploy, after {there.stack_name}"
    )
    warning = (
        None
        if image._keeps_previous
        else (
            f"{where} deletes its previous version once stack {there.stack_name} is updated "
            "(removal_policy DESTROY or keep_previous_versions=0), while this stack still "
            "uses it until its own deploy: WorkSpaces refuses to delete an image in use, "
            "and a failed deploy here cannot roll back to it. Keep at least one previous "
            "version (keep_previous_versions=1)."
        )
    )
    return ImageReference(None, name, region, warning)


def warn(consumer: Construct, reference: ImageReference) -> None:
    """Attach the reference's warning, if any, to the consumer (``cdk synth`` shows it)."""
    if reference.warning:
        Annotations.of(consumer).add_warning_v2(
            "cdk-workspace-image:previous-version-deleted", reference.warning
        )


def _top(stack: Stack) -> Stack:
    """The stack that deploys ``stack``: itself, or the top of its nested stacks.
    CDK passes values between nested stacks and their parents as parameters and
    outputs of one deployment, never as exports, so an id may go there."""
    while stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    return stack


def _differ(a: str, b: str) -> bool:
    return not Token.is_unresolved(a) and not Token.is_unresolved(b) and a != b


def _region(here: Stack, there: Stack, where: str, consumer_path: str, *, same_region: bool) -> str:
    """The image's Region, as a string the consumer's template can hold."""
    if Token.is_unresolved(there.region):
        # Environment-agnostic: like CDK's own references, assume the consumer's
        # Region when it is agnostic too; a concrete one cannot be compared.
        if not Token.is_unresolved(here.region):
            fail(
                consumer_path,
                [
                    f"{where} is in a stack with no Region at synth (environment-agnostic), "
                    f"and this stack is in {here.region}: give stack {there.stack_name} an "
                    "env with a region"
                ],
            )
        return here.region
    if same_region and _differ(here.region, there.region):
        fail(
            consumer_path,
            [
                f"{where} is in {there.region}, and this stack in {here.region}: it can use "
                "only an image of its own Region. Copy the image here first: "
                "WorkspaceImageCopy(source_image=...)"
            ],
        )
    return there.region
