//! Only the callers the deployer names can start or stop scanning: one gate
//! on every path, trust boundaries, hostile input, and webhooks whose
//! secret store fails or is slow.

mod gate;
mod hostile;
mod rules;
mod security;
mod watches;
mod webhook_secrets;
