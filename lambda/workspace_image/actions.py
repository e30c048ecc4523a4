"""The calls that make an image (a source's action), named as the API names them.

A poll keeps its image's action in its state and reads the action's own
progress, so it needs these names without the properties' rules
(properties.py), which only a Create or an Update reads.
"""

CREATE_ACTION = "CreateWorkspaceImage"
COPY_ACTION = "CopyWorkspaceImage"
UPDATED_ACTION = "CreateUpdatedWorkspaceImage"
BYOL_IMPORT_ACTION = "ImportWorkspaceImage"
CUSTOM_IMPORT_ACTION = "ImportCustomWorkspaceImage"
# Calls whose image has a status of its own, which a poll reads.
ACTIONS_WITH_PROGRESS = frozenset({CUSTOM_IMPORT_ACTION})
