//! Regressions from the outside security and fault review (issue 12).
#[allow(unused_imports)]
use crate::helpers::*;
