"""Blueprints: patient (questionnaire), and later staff and auth."""
