//! spark-server over the wire: every protection tested through real HTTP on 127.0.0.1, the
//! binary itself for signals and the command line. One test binary (faster to link).

mod api;
mod auth;
mod cluster;
mod common;
mod edge;
mod jwt;
mod process;
mod scale;
mod web;
mod web_options;
