"""Paying producers: advances, payment runs, settlements, premiums, debts, statements."""
