"""The clinical core, pure Python (standard library only: no Flask, SQLAlchemy or WTForms): the questionnaire
definition (the one source of truth), its conditions and journey, the act-now triggers, scoring, the medicine
vocabulary and matching, and the answer presenter. ``screening.rules`` builds on it. It imports nothing from
``screening.patient`` or ``screening.staff`` (tests/unit/test_purity.py)."""
