"""The grower group's internal control system (DOMAIN.md §3): yearly inspections of members
with their sanctions, and inspectors' explanations of plots far over their plausible yield."""
