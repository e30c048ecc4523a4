"""What CloudFormation is told when a request fails: reasons cut to its limit, a
service's refusal in its own words, and a Create's refusals. Pure: no AWS
calls, no clock, no I/O."""

from __future__ import annotations

# CloudFormation shows the reason to the user; crhelper cuts longer ones from
# the front, so keep them short and put what matters first.
MAX_REASON_LENGTH = 256


# CreateWorkspaceImage refusals that a repeated request (or a rollback) explains.
ADOPTABLE_CREATE_ERRORS = frozenset(
    {"ResourceAlreadyExistsException", "InvalidResourceStateException"}
)


def fit_reason(text: str, limit: int = MAX_REASON_LENGTH) -> str:
    """Cut ``text`` to ``limit`` characters, keeping its start."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def service_error_reason(action: str, code: str, message: str) -> str:
    """A failed API call, in the service's words."""
    return fit_reason(f"{action} failed: {code}: {message}")


def name_taken_reason(name: str, image_id: str) -> str:
    """CreateWorkspaceImage said the name exists, and the image is not ours."""
    return fit_reason(
        f"an image named {name!r} already exists ({image_id}) and was not made by this "
        "resource; image names are unique per Region: choose another image_name, or "
        "delete that image"
    )


def replacement_needs_new_name_reason(name: str) -> str:
    """A replacing Update kept the name, which the old image still holds."""
    return fit_reason(
        f"changing the source or the description makes a new image, and the "
        f"old one still holds the name {name!r} (names are unique per Region): "
        "change image_name in the same deployment"
    )
