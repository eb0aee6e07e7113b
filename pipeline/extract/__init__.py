"""Extraction of every document, cached per document and run in parallel: sources -> text ->
staging -> harmonise, giving each document's observation and unmapped rows."""

from pipeline.extract.result import DocResult, ExtractStats
from pipeline.extract.run import extract_all, extract_one

__all__ = ["DocResult", "ExtractStats", "extract_all", "extract_one"]
