"""Small HTTP servers on 127.0.0.1 that play the CRM APIs whynow talks to, for tests with the real clients."""
