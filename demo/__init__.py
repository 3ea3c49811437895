"""The bundled sample cohort and the ``make demo`` job."""
