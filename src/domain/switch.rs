//! A setting that switches an operation on: what every switch is.

/// A setting that switches an operation (or one of its paths) on. Unset,
/// it is off: the function fails closed, and the template always sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    /// The environment variable (`CLASSIC_ENABLED`).
    pub setting: &'static str,
    /// The template parameter that sets it (`EnableClassic`).
    pub parameter: &'static str,
    /// What it lets through, for the refusal.
    pub what: &'static str,
    /// Why it is off, when there is more to say (Classic's end of support).
    pub note: &'static str,
}
