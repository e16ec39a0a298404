"""NPS surveys: sent to a segment through personal links, answered on a public page, reported as NPS."""
