//! Repository push events, delivered through EventBridge by the inbound
//! webhook pattern: GitHub (`detail-type` `push`, `detail` = the push webhook
//! payload) and GitLab (`detail.object_kind` `push` / `tag_push`).

use crate::domain::validate::check_repository;
use crate::domain::verdict::Target;
use crate::domain::{Error, Skip};
use serde::Deserialize;
use serde_json::Value;

/// What a push asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    /// A push to the default branch: scan this repository.
    Scan {
        /// `github` or `gitlab`.
        provider: &'static str,
        repository: String,
        git_ref: String,
        after: String,
    },
    Skip(Skip),
}

#[derive(Deserialize)]
struct GithubPush {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    deleted: bool,
    repository: GithubRepository,
}

#[derive(Deserialize)]
struct GithubRepository {
    full_name: String,
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct GitlabPush {
    object_kind: String,
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    checkout_sha: Option<String>,
    project: GitlabProject,
}

#[derive(Deserialize)]
struct GitlabProject {
    path_with_namespace: String,
    default_branch: Option<String>,
}

/// Is this EventBridge event a repository push (of either provider)?
pub fn is_push(detail_type: &str, detail: &Value) -> bool {
    let github = detail_type.eq_ignore_ascii_case("push")
        && detail.pointer("/repository/full_name").is_some();
    let gitlab = matches!(
        detail.get("object_kind").and_then(|k| k.as_str()),
        Some("push" | "tag_push")
    );
    github || gitlab
}

fn all_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn malformed(provider: &str, e: serde_json::Error) -> Error {
    Error::invalid_field("detail", format!("not a {provider} push payload: {e}"))
}

/// The commit a push's scan would report on: the provider, repository and
/// pushed commit, and the ids the APIs name them by (GitHub: the App
/// installation; GitLab: the project). `None` for a push that starts no
/// scan, or values of the wrong shape.
pub fn target(detail: &Value) -> Option<Target> {
    let Ok(Push::Scan {
        provider,
        repository,
        after,
        ..
    }) = decide(detail)
    else {
        return None;
    };
    let id = |p: &str| detail.pointer(p).and_then(Value::as_u64);
    Target {
        provider: provider.to_string(),
        repository,
        sha: after,
        installation: id("/installation/id"),
        project: id("/project/id").or_else(|| id("/project_id")),
    }
    .checked()
}

/// Decide what a push event asks for. Call only when [`is_push`] holds.
pub fn decide(detail: &Value) -> Result<Push, Error> {
    let (provider, repository, git_ref, after, default_branch, deleted, tag_kind) =
        if detail.get("object_kind").is_some() {
            // Read in place: the payload is not copied.
            let p = GitlabPush::deserialize(detail).map_err(|e| malformed("GitLab", e))?;
            let after = p.after.unwrap_or_default();
            let deleted = all_zero(&after) || (p.object_kind == "push" && p.checkout_sha.is_none());
            (
                "gitlab",
                p.project.path_with_namespace,
                p.git_ref,
                after,
                p.project.default_branch,
                deleted,
                p.object_kind == "tag_push",
            )
        } else {
            let p = GithubPush::deserialize(detail).map_err(|e| malformed("GitHub", e))?;
            let after = p.after.unwrap_or_default();
            let deleted = p.deleted || all_zero(&after);
            (
                "github",
                p.repository.full_name,
                p.git_ref,
                after,
                p.repository.default_branch,
                deleted,
                false,
            )
        };
    check_repository("detail.repository", &repository).map_err(|f| Error::invalid(vec![f]))?;
    let skip = |reason: String| {
        Ok(Push::Skip(Skip {
            reason,
            repository: Some(repository.clone()),
            git_ref: Some(git_ref.clone()),
        }))
    };
    if tag_kind || git_ref.starts_with("refs/tags/") {
        return skip("a tag push: Inspector scans the default branch".into());
    }
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return skip("not a branch push".into());
    };
    if deleted {
        return skip(format!("branch {branch} was deleted"));
    }
    let Some(default_branch) = default_branch.filter(|b| !b.is_empty()) else {
        return Err(Error::invalid_field(
            "detail.repository.default_branch",
            "is required to tell a default-branch push from others",
        ));
    };
    if branch != default_branch {
        return skip(format!(
            "push to {branch}, not the default branch {default_branch}: Inspector scans the default branch"
        ));
    }
    Ok(Push::Scan {
        provider,
        repository,
        git_ref,
        after,
    })
}
