//! The directive table: every redis.conf directive's name, type, default, and how it reads
//! into and out of [`crate::config::Config`]. Shared by redis.conf parsing and CONFIG GET/SET.
