"""What instructors and students read after grading: feedback pages, the CSV exports, the cohort page."""
