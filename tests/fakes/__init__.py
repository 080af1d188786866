"""Small HTTP servers that play the CRMs' APIs for tests: the real clients talk to them over TCP, no mocks."""
