"""The warehouse schema: public API (docs/warehouse.md). Columns are only ever added, at the end
of their table, so researchers' SQL and notebooks keep working."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE geo (
  geo_code VARCHAR, name_vi VARCHAR, name_en VARCHAR, level VARCHAR, parent_code VARCHAR,
  region_vi VARCHAR, region_en VARCHAR, successor_code_2025 VARCHAR, successor_name_2025 VARCHAR,
  full_name_vi VARCHAR, full_name_en VARCHAR, kind VARCHAR, map VARCHAR, map_code VARCHAR);
CREATE TABLE geo_2025 (
  code VARCHAR, name_vi VARCHAR, name_en VARCHAR, kind VARCHAR, full_name_vi VARCHAR,
  full_name_en VARCHAR);
CREATE TABLE unit (
  unit_code VARCHAR, symbol VARCHAR, name_vi VARCHAR, name_en VARCHAR, per INTEGER, kind VARCHAR);
CREATE TABLE indicator (
  indicator_code VARCHAR, name_vi VARCHAR, name_en VARCHAR, domain VARCHAR, unit_code VARCHAR,
  direction VARCHAR, definition VARCHAR, sdg_code VARCHAR, min_plausible DOUBLE,
  max_plausible DOUBLE, aliases_vi VARCHAR);
CREATE TABLE source_document (
  source_id VARCHAR, geo_code VARCHAR, title VARCHAR, issuer VARCHAR,
  issued_on VARCHAR, doc_number VARCHAR, url VARCHAR, file_name VARCHAR, sha256 VARCHAR,
  n_lines INTEGER, title_en VARCHAR, default_year INTEGER, layouts VARCHAR[],
  n_corrections INTEGER, extractor_version VARCHAR, official_statistics BOOLEAN,
  table_shape VARCHAR, geo_map VARCHAR);
CREATE TABLE observation (
  observation_id VARCHAR, source_id VARCHAR, geo_code VARCHAR, indicator_code VARCHAR,
  year INTEGER, kind VARCHAR, is_estimate BOOLEAN, comparator VARCHAR, value DOUBLE,
  unit_code VARCHAR, value_reported VARCHAR, unit_reported VARCHAR, label_reported VARCHAR,
  line_start INTEGER, line_end INTEGER, quote VARCHAR, condition VARCHAR, flags VARCHAR[],
  flag_detail VARCHAR, value_upper DOUBLE, reader VARCHAR, correction_ids VARCHAR[],
  place_reported VARCHAR, sex VARCHAR, residence VARCHAR, cited_instrument VARCHAR,
  cited_url VARCHAR, cited_published_as VARCHAR, official_statistics BOOLEAN);
CREATE TABLE unmapped (
  source_id VARCHAR, line_start INTEGER, line_end INTEGER, text VARCHAR, reason VARCHAR,
  reason_code VARCHAR);
CREATE TABLE correction (
  correction_id VARCHAR, source_id VARCHAR, action VARCHAR, reason VARCHAR, quote VARCHAR,
  status VARCHAR, n_observations INTEGER);
CREATE TABLE build_info (
  built_at TIMESTAMP, git_commit VARCHAR, package_version VARCHAR, n_sources INTEGER,
  n_observations INTEGER, n_unmapped INTEGER, extractor_version VARCHAR, catalog_hash VARCHAR,
  n_indicators INTEGER, duckdb_version VARCHAR, python_version VARCHAR,
  build_seconds DOUBLE, validation_seconds DOUBLE, n_extracted INTEGER, n_cached INTEGER,
  build_id VARCHAR);
CREATE TABLE validation_result (
  suite VARCHAR, expectation VARCHAR, severity VARCHAR, success BOOLEAN, n_unexpected INTEGER,
  details VARCHAR);
"""

TABLES = [
    "geo",
    "geo_2025",
    "unit",
    "indicator",
    "source_document",
    "observation",
    "unmapped",
    "correction",
    "build_info",
    "validation_result",
]
