"""One reader per kind of input file, each yielding ``SourcePage``s one at a time.

``pipeline.pages.iter_pages`` picks the reader for a sniffed file: ``pdf`` (with the text
layer in ``pdf_text``), ``images`` (TIFF, JPEG, PNG) and ``docx``; ``source_page`` is what
they all yield.
"""
