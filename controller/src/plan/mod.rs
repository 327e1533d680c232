//! Reviewed releases: `play plan` runs a playbook in check mode and writes what it would do
//! into a plan file; `play apply` executes exactly that plan, or refuses when anything it was
//! computed from changed.
//!
//! - [`model`]: the plan file (format, read, write)
//! - [`keyed`]: the controller-held key behind every hash in a plan
//! - [`recorder`]: what a check run saw, reduced to keyed fingerprints as it runs
//! - [`inputs`]: the files a plan depends on, hashed and compared
//! - [`compare`]: drift between the plan and the check apply runs first

pub mod argv;
pub mod compare;
pub mod inputs;
pub mod keyed;
pub mod model;
pub mod recorder;

pub use keyed::PlanKey;
pub use model::Plan;
pub use recorder::Recorder;
