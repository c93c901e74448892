//! The domain, in the middle: operations, actions, outcomes, errors,
//! validation, idempotency keys and the deadline. It imports nothing else of
//! the crate; ingress and the Inspector adapter both speak its types.

pub mod action;
pub mod assessment_run;
pub mod associations;
pub mod completion;
pub mod configurations;
pub mod deadline;
pub mod error;
pub mod gate;
pub mod keys;
pub mod operation;
pub mod outcome;
pub mod provider;
pub mod request;
pub mod resend;
pub mod selector;
pub mod sweep;
pub mod switch;
pub mod targets;
pub mod validate;
pub mod verdict;

pub use action::*;
pub use assessment_run::{RunStarted, StartRun};
pub use configurations::{
    BatchOutcome, CONFIGURATIONS_PER_CALL, ConfigurationChange, ConfigurationItem,
    ConfigurationOutcome, Direction, FailedAssociation, Resource, SuccessfulAssociation,
};
pub use deadline::{Deadline, Lane};
pub use error::{AwsError, AwsErrorKind, Error, FieldError};
pub use gate::Permitted;
pub use operation::{Operation, Service, Switch, Switches};
pub use outcome::*;
pub use provider::{Provider, WebhookSecrets};
