"""Screening: pre-screening questionnaire and clinical flags for ketamine therapy."""
