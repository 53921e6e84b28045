"""One reader per kind of input file, each yielding ``SourcePage``s one at a time.

``pipeline.pages.iter_pages`` picks the reader for a sniffed file: ``pdf_pages`` (with
the text layer in ``pdf_text``), ``image_pages`` (TIFF, JPEG, PNG) and ``docx_pages``;
``source_page`` is what they all yield.
"""
