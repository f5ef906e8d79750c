//! End-to-end tests: each test starts the real `formwork` binary on a free port with its own
//! database (SQLite in a temp dir, or a fresh PostgreSQL database when `DATABASE_URL` points at
//! PostgreSQL) and drives it over HTTP. One test binary on purpose: each extra one is a slow link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod backup;
mod blobs_s3;
mod conditional_fields;
mod demo;
mod editor;
mod editor_lines;
mod engine_rules;
mod everyday;
mod faults;
mod feedback;
mod field_types;
mod field_types_editor;
mod form_ui;
mod geolocation;
mod hardening_mcp;
mod hardening_records;
mod hardening_web;
mod key_columns;
mod line_columns;
mod line_files;
mod line_filters;
mod line_items;
mod line_items_defaults;
mod line_totals;
mod lookups;
mod mcp_items;
mod mcp_surface;
mod notifications;
mod oauth;
mod oauth_attacks;
mod oauth_helpers;
mod oauth_limits;
mod ocr_worker;
mod operate;
mod rates;
mod receipts;
mod scale_out;
mod scale_out_load;
mod substring_index;
mod summaries;
mod upload_links;
mod uploads_budget;
mod uploads_robust;
mod web_flow;
mod workflow;
