"""Marks on a page beyond its text, found when a page is read (``pipeline.read``).

Each module is named after its rules file in ``rules/``: ``seal_impressions``
(``seal_detection.yaml``: where the seals are, their shape; its colour path in
``red_seals``, what both paths share in ``seal_outlines``) with ``seal_lettering`` (the
text round a seal; the seal unwrapped into a strip in ``seal_unwrap``), ``tick_boxes``
(``tick_boxes.yaml``), ``tick_rows`` (``tick_rows.yaml``: the ink along each row of boxes,
outside them), ``line_ink`` (``line_ink.yaml``: the ink across each text line, a glyph
the OCR lost) and ``unread_ink`` (``unread_ink.yaml``: ink no text line explains).
The page only says what is there; extractors and validators decide what it means.
"""
