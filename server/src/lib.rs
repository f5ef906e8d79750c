//! Formwork: a self-hostable forms and actions platform with an MCP surface.
//! See ARCHITECTURE.md for the map.
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod mail;
pub mod mcp;
pub mod oauth_metadata;
pub mod operate;
pub mod receipts;
pub mod startup;
pub mod store;
pub mod uploads;
pub mod web;
