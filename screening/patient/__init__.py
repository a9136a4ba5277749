"""The patient side of the web app: the questionnaire's form fields, the educational article, drafts and submit,
and the patient blueprint's views. It uses the clinical core and the shared modules (models, audit, access,
notifications) and never imports ``screening.staff``."""
