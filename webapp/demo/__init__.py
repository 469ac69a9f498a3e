"""The instance-replacement demo: real instances, replaced, measured."""
