"""The staff side of the web app: passwords and MFA, accounts, the review queue and search, the submission page, the
doctor's summary and its PDF, exports, retention, urgent-alert escalation and the worker, and the staff, admin,
sign-in and summary blueprints. It never imports ``screening.patient``."""
