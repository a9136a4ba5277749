"""Answer sets for tests: the builders live in ``screening.demo`` (one source for demo data and tests)."""

from screening.demo import TODAY, answers, auditc, born, gad7, phq9, submit_answers

__all__ = ["TODAY", "answers", "auditc", "born", "gad7", "phq9", "submit_answers"]
