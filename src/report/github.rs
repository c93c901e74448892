//! GitHub check runs, as a GitHub App: the app JWT exchanged for an
//! installation token (kept 50 minutes; GitHub's last an hour), one check
//! run per commit and scan, found again by its `external_id` (the scan id)
//! before one is made. Only `GITHUB_API_URL` is contacted.

use super::https::{Answer, Https};
use super::{ReportError, Started, seg};
use crate::domain::verdict::{GitHubApp, Target, Verdict};
use http::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an installation token is used: GitHub's last an hour.
const TOKEN_KEPT: Duration = Duration::from_secs(50 * 60);
/// Most check run ids and installations remembered.
const MAX_KEPT: usize = 1000;

#[derive(Debug)]
pub struct GitHub {
    base: String,
    http: Arc<Https>,
    /// installation id -> (token, when it was issued)
    tokens: Mutex<HashMap<u64, (String, Instant)>>,
    /// repository -> installation id
    installations: Mutex<HashMap<String, u64>>,
    /// scan id -> its check run's id
    runs: Mutex<HashMap<String, u64>>,
    /// Held while a token is exchanged.
    exchange: futures::lock::Mutex<()>,
}

fn put<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, k: K, v: V) {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= MAX_KEPT {
        map.clear();
    }
    map.insert(k, v);
}

fn failed(what: &str, a: &Answer) -> ReportError {
    let limited = a.status == 429
        || (a.status == 403 && String::from_utf8_lossy(&a.body).contains("rate limit"));
    ReportError {
        code: if limited {
            "RateLimited".to_string()
        } else {
            format!("HTTP{}", a.status)
        },
        message: format!("GitHub answered {} to {what}", a.status),
        retry_after: a.retry_after,
    }
}

fn unreachable(what: &str, why: String) -> ReportError {
    ReportError {
        code: "Unreachable".to_string(),
        message: format!("{what}: {why}"),
        retry_after: None,
    }
}

impl GitHub {
    pub fn new(base: &str, http: Arc<Https>) -> Self {
        Self {
            base: base.to_string(),
            http,
            tokens: Mutex::default(),
            installations: Mutex::default(),
            runs: Mutex::default(),
            exchange: futures::lock::Mutex::new(()),
        }
    }

    fn repo(&self, t: &Target) -> String {
        let (owner, name) = t.repository.split_once('/').unwrap_or_default();
        format!("{}/repos/{}/{}", self.base, seg(owner), seg(name))
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        auth: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Answer, ReportError> {
        let headers = [
            ("authorization", auth),
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ];
        self.http
            .send(method, url, &headers, body)
            .await
            .map_err(|why| unreachable(what, why))
    }

    /// The kept installation and token for `t`, if any.
    fn kept(&self, t: &Target) -> (Option<u64>, Option<String>) {
        let known = t.installation.or_else(|| {
            let map = self.installations.lock().unwrap_or_else(|p| p.into_inner());
            map.get(&t.repository).copied()
        });
        let token = known.and_then(|id| {
            let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            tokens
                .get(&id)
                .filter(|(_, at)| at.elapsed() < TOKEN_KEPT)
                .map(|(token, _)| token.clone())
        });
        (known, token)
    }

    /// The installation token for `t`'s repository: kept, else exchanged
    /// (one exchange at a time: the watches of one batch share it).
    async fn token(
        &self,
        app: &GitHubApp,
        t: &Target,
        now: u64,
    ) -> Result<(u64, String), ReportError> {
        if let (Some(id), Some(token)) = self.kept(t) {
            return Ok((id, token));
        }
        let _one = self.exchange.lock().await;
        let (known, token) = self.kept(t);
        if let (Some(id), Some(token)) = (known, token) {
            return Ok((id, token));
        }
        let jwt =
            super::jwt::app_jwt(&app.app_id, &app.private_key, now).map_err(|why| ReportError {
                code: "Credentials".to_string(),
                message: why,
                retry_after: None,
            })?;
        let bearer = format!("Bearer {jwt}");
        let id = match known {
            Some(id) => id,
            None => {
                let what = "GET /repos/{owner}/{repo}/installation";
                let url = format!("{}/installation", self.repo(t));
                let a = self.call(Method::GET, &url, &bearer, None, what).await?;
                let id = a.json()["id"]
                    .as_u64()
                    .filter(|_| a.ok())
                    .ok_or_else(|| failed(what, &a))?;
                put(&self.installations, t.repository.clone(), id);
                id
            }
        };
        let what = "POST /app/installations/{id}/access_tokens";
        let url = format!("{}/app/installations/{id}/access_tokens", self.base);
        let a = self.call(Method::POST, &url, &bearer, None, what).await?;
        let token = a.json()["token"]
            .as_str()
            .filter(|_| a.ok())
            .map(str::to_string)
            .ok_or_else(|| failed(what, &a))?;
        put(&self.tokens, id, (token.clone(), Instant::now()));
        Ok((id, token))
    }

    /// A 401: the kept token is dropped (the next report exchanges anew).
    fn forget(&self, id: u64, a: &Answer) {
        if a.status == 401 {
            let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            tokens.remove(&id);
        }
    }

    /// The check run of scan `s` on `t`'s commit, made before (by this
    /// environment, or found by its name and external id).
    async fn find(
        &self,
        t: &Target,
        s: &Started<'_>,
        auth: &str,
    ) -> Result<Option<u64>, ReportError> {
        if let Some(id) = self
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(s.scan_id)
        {
            return Ok(Some(*id));
        }
        let what = "GET /repos/{owner}/{repo}/commits/{sha}/check-runs";
        let url = format!(
            "{}/commits/{}/check-runs?check_name={}&filter=all&per_page=100",
            self.repo(t),
            seg(&t.sha),
            seg(s.name)
        );
        let a = self.call(Method::GET, &url, auth, None, what).await?;
        if !a.ok() {
            return Err(failed(what, &a));
        }
        let found = a.json()["check_runs"].as_array().and_then(|runs| {
            runs.iter()
                .find(|r| r["external_id"].as_str() == Some(s.scan_id))
                .and_then(|r| r["id"].as_u64())
        });
        if let Some(id) = found {
            put(&self.runs, s.scan_id.to_string(), id);
        }
        Ok(found)
    }

    /// The check run in progress: found, else made. `Ok(true)` when made.
    pub async fn started(
        &self,
        app: &GitHubApp,
        t: &Target,
        s: &Started<'_>,
    ) -> Result<bool, ReportError> {
        let (installation, token) = self.token(app, t, s.now).await?;
        let auth = format!("token {token}");
        if self.find(t, s, &auth).await?.is_some() {
            return Ok(false);
        }
        let what = "POST /repos/{owner}/{repo}/check-runs";
        let body = json!({
            "name": s.name, "head_sha": t.sha, "external_id": s.scan_id,
            "status": "in_progress", "started_at": s.started_at, "details_url": s.details_url,
            "output": {"title": "Scanning", "summary": format!(
                "Amazon Inspector code security scan `{}` is in progress.", s.scan_id)},
        });
        let url = format!("{}/check-runs", self.repo(t));
        let a = self
            .call(Method::POST, &url, &auth, Some(&body), what)
            .await?;
        self.forget(installation, &a);
        let id = a.json()["id"]
            .as_u64()
            .filter(|_| a.ok())
            .ok_or_else(|| failed(what, &a))?;
        put(&self.runs, s.scan_id.to_string(), id);
        Ok(true)
    }

    /// The check run completed with `v`: the one found updated, else one
    /// made completed.
    pub async fn finished(
        &self,
        app: &GitHubApp,
        t: &Target,
        s: &Started<'_>,
        v: &Verdict,
        completed_at: &str,
    ) -> Result<(), ReportError> {
        let (installation, token) = self.token(app, t, s.now).await?;
        let auth = format!("token {token}");
        let mut body = json!({
            "name": s.name, "external_id": s.scan_id, "status": "completed",
            "conclusion": v.conclusion.github(), "completed_at": completed_at,
            "details_url": s.details_url,
            "output": {"title": v.title, "summary": v.summary},
        });
        let (method, url, what) = match self.find(t, s, &auth).await? {
            Some(id) => (
                Method::PATCH,
                format!("{}/check-runs/{id}", self.repo(t)),
                "PATCH /repos/{owner}/{repo}/check-runs/{id}",
            ),
            None => {
                body["head_sha"] = t.sha.clone().into();
                body["started_at"] = s.started_at.as_str().into();
                (
                    Method::POST,
                    format!("{}/check-runs", self.repo(t)),
                    "POST /repos/{owner}/{repo}/check-runs",
                )
            }
        };
        let a = self.call(method, &url, &auth, Some(&body), what).await?;
        self.forget(installation, &a);
        if !a.ok() {
            return Err(failed(what, &a));
        }
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(s.scan_id);
        Ok(())
    }
}
