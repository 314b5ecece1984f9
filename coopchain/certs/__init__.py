"""Certificates and the documents a shipment carries: organic compliance, EUDR geolocation."""
