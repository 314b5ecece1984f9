"""EUDR due diligence statements (Operator API V3, DOMAIN.md §8) and their SOAP client."""
