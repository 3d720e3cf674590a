"""consult: decision support for regenerative aesthetic consultations."""

__version__ = "0.1.0"
