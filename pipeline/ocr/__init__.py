"""OCR: one engine protocol, the default PP-OCRv6 engine, an optional PaddleOCR engine,
a replay engine for tests, and a cache so a page is read once."""
