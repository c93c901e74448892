//! GitLab commit statuses: `POST /projects/{id}/statuses/{sha}` with the
//! token in `PRIVATE-TOKEN`. GitLab keeps one status per name and commit;
//! a state it already has is answered 400 "Cannot transition status",
//! which is taken as sent. Only `GITLAB_API_URL` is contacted.

use super::https::Https;
use super::{ReportError, Started, seg};
use crate::domain::verdict::{GitLabToken, Target};
use http::Method;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug)]
pub struct GitLab {
    base: String,
    http: Arc<Https>,
}

impl GitLab {
    pub fn new(base: &str, http: Arc<Https>) -> Self {
        Self {
            base: base.to_string(),
            http,
        }
    }

    /// Sets the commit's status `state` (`running`, `success`, `failed`,
    /// `canceled`) with `description`.
    pub async fn status(
        &self,
        token: &GitLabToken,
        t: &Target,
        s: &Started<'_>,
        state: &str,
        description: &str,
    ) -> Result<(), ReportError> {
        let project = t
            .project
            .map_or_else(|| seg(&t.repository), |id| id.to_string());
        let url = format!("{}/projects/{project}/statuses/{}", self.base, seg(&t.sha));
        let body = json!({
            "state": state, "name": s.name, "description": description,
            "target_url": s.details_url,
        });
        let what = "POST /projects/{id}/statuses/{sha}";
        let a = self
            .http
            .send(
                Method::POST,
                &url,
                &[("private-token", &token.0)],
                Some(&body),
            )
            .await
            .map_err(|why| ReportError {
                code: "Unreachable".to_string(),
                message: format!("{what}: {why}"),
                retry_after: None,
            })?;
        let same =
            a.status == 400 && String::from_utf8_lossy(&a.body).contains("Cannot transition");
        if a.ok() || same {
            return Ok(());
        }
        Err(ReportError {
            code: if a.status == 429 {
                "RateLimited".to_string()
            } else {
                format!("HTTP{}", a.status)
            },
            message: format!("GitLab answered {} to {what}", a.status),
            retry_after: a.retry_after,
        })
    }
}
