"""Inspector plug-ins that fail the way users' plug-ins do (see ``cases.yaml``)."""
