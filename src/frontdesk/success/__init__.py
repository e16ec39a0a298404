"""Customer success: owners, purchase predictions (BG/NBD and Gamma-Gamma), health scores, playbooks and tasks."""
