"""The local runner: the stack of template.yaml on one machine, without Docker (`make local`)."""
