"""The Lambda handler of Custom::WorkspaceImage.

In Lambda these modules are top-level (``index.handler``). Inside the wheel
this folder is the ``cdk_workspace_image.runtime`` package, so that the
construct can bundle it and share ``contract`` with it.
"""
