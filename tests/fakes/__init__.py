"""Fake CRM servers on 127.0.0.1 for the tests of the push and the API import (#25): Salesforce (TLS) and HubSpot."""
