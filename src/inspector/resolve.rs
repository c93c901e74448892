//! Repository -> Inspector project id: the configured map first, then
//! Inspector's own coverage (`ListCoverage`), with a bounded TTL cache kept
//! across warm invocations.

use super::client::Clients;
use super::errors::aws_error;
use crate::config::ResolveSettings;
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::{Deadline, Error, Operation};
use aws_sdk_inspector2::operation::list_coverage::ListCoverageOutput;
use aws_sdk_inspector2::types::{
    CoverageFilterCriteria, CoverageStringComparison, CoverageStringFilter, CoveredResource,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Resolver {
    map: HashMap<String, String>,
    ttl: Duration,
    capacity: usize,
    cache: Mutex<HashMap<String, (String, Instant)>>,
    /// How long a name just found unknown
    /// is answered `RepositoryNotFound` without a ListCoverage call.
    unknown_ttl: Duration,
    /// Names found unknown, and when (at most `capacity` of them).
    unknown: Mutex<HashMap<String, Instant>>,
}

impl Clone for Resolver {
    fn clone(&self) -> Self {
        Self::new(self.map.clone(), self.ttl, self.capacity).with_unknown_ttl(self.unknown_ttl)
    }
}

/// Inserts `key` into a bounded map of timed entries: expired ones dropped
/// first, then the oldest when it is still full.
fn insert_bounded<V>(
    map: &mut HashMap<String, V>,
    key: &str,
    value: V,
    capacity: usize,
    at: impl Fn(&V) -> Instant,
    ttl: Duration,
) {
    map.retain(|_, v| at(v).elapsed() < ttl);
    if map.len() >= capacity && !map.contains_key(key) {
        // Full of live entries: drop the oldest.
        if let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| at(v))
            .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
    }
    map.insert(key.to_string(), value);
}

/// The last path segment: `owner/name` -> `name`.
fn bare(repository: &str) -> &str {
    repository.rsplit('/').next().unwrap_or(repository)
}

/// One repository Inspector covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub project_id: String,
    pub project_name: String,
    pub integration_arn: Option<String>,
}

impl Resolver {
    pub fn new(map: HashMap<String, String>, ttl: Duration, capacity: usize) -> Self {
        Self {
            map,
            ttl,
            capacity,
            cache: Mutex::new(HashMap::new()),
            unknown_ttl: Duration::ZERO,
            unknown: Mutex::new(HashMap::new()),
        }
    }

    /// Names found unknown are remembered this long (zero: not at all).
    pub fn with_unknown_ttl(mut self, ttl: Duration) -> Self {
        self.unknown_ttl = ttl;
        self
    }

    pub fn from_settings(s: &ResolveSettings) -> Self {
        Self::new(s.project_map.clone(), s.cache_ttl, s.cache_size).with_unknown_ttl(s.negative_ttl)
    }

    /// Was `repository` found unknown within `unknown_ttl`?
    pub fn known_unknown(&self, repository: &str) -> bool {
        self.unknown.lock().is_ok_and(|unknown| {
            unknown
                .get(repository)
                .is_some_and(|at| at.elapsed() < self.unknown_ttl)
        })
    }

    fn remember_unknown(&self, repository: &str) {
        if self.capacity == 0 || self.unknown_ttl.is_zero() {
            return;
        }
        if let Ok(mut unknown) = self.unknown.lock() {
            let (capacity, ttl) = (self.capacity, self.unknown_ttl);
            insert_bounded(
                &mut unknown,
                repository,
                Instant::now(),
                capacity,
                |at| *at,
                ttl,
            );
        }
    }

    /// The configured map: `owner/name` first, then the bare `name`.
    pub fn from_map(&self, repository: &str) -> Option<String> {
        self.map
            .get(repository)
            .or_else(|| self.map.get(bare(repository)))
            .cloned()
    }

    pub fn cached(&self, repository: &str) -> Option<String> {
        let cache = self.cache.lock().ok()?;
        let (project, at) = cache.get(repository)?;
        (at.elapsed() < self.ttl).then(|| project.clone())
    }

    pub fn remember(&self, repository: &str, project: &str) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        let entry = (project.to_string(), Instant::now());
        insert_bounded(
            &mut cache,
            repository,
            entry,
            self.capacity,
            |(_, at)| *at,
            self.ttl,
        );
    }

    /// The ListCoverage filter for a repository name, in AWS's JSON shape (dry-run plans).
    pub fn list_coverage_input(repository: &str) -> Value {
        json!({"filterCriteria": {
            "resourceType": [{"comparison": "EQUALS", "value": "CODE_REPOSITORY"}],
            "codeRepositoryProjectName": [{"comparison": "EQUALS", "value": bare(repository)}]
        }})
    }

    /// Resolve through map, cache, then Inspector.
    pub async fn resolve(
        &self,
        client: &Clients,
        repository: &str,
        deadline: Deadline,
    ) -> Result<String, Error> {
        if let Some(p) = self
            .from_map(repository)
            .or_else(|| self.cached(repository))
        {
            return Ok(p);
        }
        // A name just found unknown costs no ListCoverage call: a stream of
        // made-up names cannot spend Inspector's quota.
        if self.known_unknown(repository) {
            return choose(repository, Vec::new());
        }
        let mut candidates = list_coverage(client, bare(repository), deadline).await?;
        if candidates.is_empty() && bare(repository) != repository {
            // Some integrations name projects by their full path.
            candidates = list_coverage(client, repository, deadline).await?;
        }
        let chosen = choose(repository, candidates);
        match &chosen {
            Ok(project) => self.remember(repository, project),
            Err(e) if e.code() == "RepositoryNotFound" => self.remember_unknown(repository),
            Err(_) => {}
        }
        chosen
    }
}

/// Pick the one project for `repository` among the coverage candidates.
/// When the caller named an owner (`owner/name`), a candidate under another
/// owner is never taken; a candidate named by its bare name is (its owner is
/// not known). Candidates are named in errors by repository and project id
/// only: no integration ARNs, no account ids.
pub fn choose(repository: &str, candidates: Vec<Candidate>) -> Result<String, Error> {
    let owned = repository.contains('/');
    let candidates: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| {
            !owned
                || !c.project_name.contains('/')
                || c.project_name.eq_ignore_ascii_case(repository)
        })
        .collect();
    let exact: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.project_name.eq_ignore_ascii_case(repository))
        .collect();
    match (exact.as_slice(), candidates.as_slice()) {
        ([one], _) => Ok(one.project_id.clone()),
        (_, [one]) => Ok(one.project_id.clone()),
        (_, []) => Err(Error::Repository {
            code: "RepositoryNotFound",
            message: format!(
                "repository \"{}\" is not known to Amazon Inspector: connect it through a code security integration, or map it in PROJECT_MAP",
                bounded(repository, MAX_SHOWN)
            ),
        }),
        (_, many) => Err(Error::Repository {
            code: "AmbiguousRepository",
            message: format!(
                "repository \"{}\" matches {} Inspector projects ({}); name it as owner/name or map it in PROJECT_MAP",
                bounded(repository, MAX_SHOWN),
                many.len(),
                many.iter()
                    .take(10)
                    .map(|c| format!(
                        "{} {}",
                        bounded(&c.project_name, MAX_SHOWN),
                        bounded(&c.project_id, MAX_SHOWN)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }),
    }
}

/// A ListCoverage filter on `value` (EQUALS): resolution's and sweeps'.
pub(super) fn string_filter(value: &str) -> CoverageStringFilter {
    CoverageStringFilter::builder()
        .comparison(CoverageStringComparison::Equals)
        .value(value)
        .build()
        .expect("both required members are set")
}

/// One page of ListCoverage under `criteria`, through the pacer:
/// resolution's and sweeps' (`max_results` none: the service's default).
pub(super) async fn coverage_page(
    clients: &Clients,
    criteria: &CoverageFilterCriteria,
    max_results: Option<i32>,
    next_token: Option<&str>,
    deadline: Deadline,
) -> Result<ListCoverageOutput, Error> {
    let op = Operation::ListCoverage;
    clients
        .paced(op, deadline, || async {
            clients
                .v2
                .list_coverage()
                .filter_criteria(criteria.clone())
                .set_max_results(max_results)
                .set_next_token(next_token.map(str::to_string))
                .send()
                .await
                .map_err(|e| aws_error(op, e))
        })
        .await
}

/// The project id a covered code repository's resource id ends with.
pub(super) fn project_id(r: &CoveredResource) -> String {
    r.resource_id()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn list_coverage(
    clients: &Clients,
    name: &str,
    deadline: Deadline,
) -> Result<Vec<Candidate>, Error> {
    let criteria = CoverageFilterCriteria::builder()
        .resource_type(string_filter("CODE_REPOSITORY"))
        .code_repository_project_name(string_filter(name))
        .build();
    let mut out = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = coverage_page(clients, &criteria, None, next_token.as_deref(), deadline).await?;
        next_token = page.next_token().map(str::to_string);
        for r in page.covered_resources() {
            let meta = r.resource_metadata().and_then(|m| m.code_repository());
            out.push(Candidate {
                project_id: project_id(r),
                project_name: meta
                    .map(|m| m.project_name().to_string())
                    .unwrap_or_default(),
                integration_arn: meta.and_then(|m| m.integration_arn().map(str::to_string)),
            });
        }
        if next_token.as_deref().is_none_or(str::is_empty) {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, name: &str) -> Candidate {
        Candidate {
            project_id: id.into(),
            project_name: name.into(),
            integration_arn: None,
        }
    }

    #[test]
    fn choose_prefers_full_name_then_single_then_errors() {
        assert_eq!(choose("o/a", vec![c("p1", "a")]).unwrap(), "p1");
        assert_eq!(
            choose("o/a", vec![c("p1", "x/a"), c("p2", "o/a")]).unwrap(),
            "p2"
        );
        let e = choose("o/a", vec![c("p1", "a"), c("p2", "a")]).unwrap_err();
        assert_eq!(e.code(), "AmbiguousRepository");
        assert!(e.to_string().contains("p1") && e.to_string().contains("p2"));
        let mut with_arn = c("p3", "a");
        with_arn.integration_arn =
            Some("arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/x".into());
        let e = choose("o/a", vec![with_arn, c("p4", "a")]).unwrap_err();
        assert!(!e.to_string().contains("123456789012"), "{e}");
        assert!(!e.to_string().contains("arn:"), "{e}");
        assert_eq!(
            choose("o/a", vec![]).unwrap_err().code(),
            "RepositoryNotFound"
        );
    }

    #[test]
    fn another_owners_repository_is_never_taken() {
        let e = choose(
            "attacker/payments-api",
            vec![c("p1", "octo-org/payments-api")],
        );
        assert_eq!(e.unwrap_err().code(), "RepositoryNotFound");
        assert_eq!(
            choose(
                "octo-org/payments-api",
                vec![c("p1", "octo-org/payments-api")]
            )
            .unwrap(),
            "p1"
        );
        // No owner given: the only candidate is taken, as before.
        assert_eq!(
            choose("payments-api", vec![c("p1", "octo-org/payments-api")]).unwrap(),
            "p1"
        );
    }

    #[test]
    fn map_accepts_full_and_bare_names() {
        let r = Resolver::new(
            HashMap::from([("o/full".into(), "p1".into()), ("bare".into(), "p2".into())]),
            Duration::from_secs(60),
            2,
        );
        assert_eq!(r.from_map("o/full").as_deref(), Some("p1"));
        assert_eq!(r.from_map("anyone/bare").as_deref(), Some("p2"));
        assert_eq!(r.from_map("o/other"), None);
    }

    #[test]
    fn cache_is_bounded_and_expires() {
        let r = Resolver::new(HashMap::new(), Duration::from_secs(60), 2);
        r.remember("a", "1");
        r.remember("b", "2");
        r.remember("c", "3");
        assert_eq!(r.cached("a"), None, "oldest evicted");
        assert_eq!(r.cached("c").as_deref(), Some("3"));
        let expired = Resolver::new(HashMap::new(), Duration::ZERO, 2);
        expired.remember("a", "1");
        assert_eq!(expired.cached("a"), None);
    }
}
