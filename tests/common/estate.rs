//! An organisation's projects as Inspector holds them, for sweeps by
//! selector: covered code repositories (ListCoverage, paged, filtered by
//! resource and provider type), scan-configuration associations
//! (ListCodeSecurityScanConfigurationAssociations, paged; changed by the
//! batch associate and disassociate calls), one scan per client token.
//! Page tokens are cursors (the last project id a page returned), so a page
//! read while its projects are being disassociated skips nothing. Every
//! call, listings included, takes a token from one bucket when a quota is
//! set (429 ThrottlingException when it is empty), and is answered after
//! `delay`.

use super::{ASSOCIATE_PATH, DISASSOCIATE_PATH, START_SCAN_PATH, TokenBucket, aws_error_answer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const COVERAGE_PATH: &str = "/coverage/list";
pub const ASSOCIATIONS_PATH: &str = "/codesecurity/scan-configuration/associations/list";

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub provider: &'static str,
}

#[derive(Debug, Default)]
pub struct EstateState {
    /// project id -> name and provider, in id order (the listing's order).
    pub covered: BTreeMap<String, Project>,
    /// configuration ARN -> associated project ids.
    pub associations: HashMap<String, BTreeSet<String>>,
    /// clientToken -> (project id, scanId)
    pub scans: HashMap<String, (String, String)>,
    /// StartCodeSecurityScan calls answered, by project id.
    pub starts: HashMap<String, usize>,
    /// ("associate" | "disassociate", project id) -> items sent.
    pub sent: HashMap<(&'static str, String), usize>,
    /// Items per batch call.
    pub batch_calls: Vec<usize>,
    /// Listing calls answered, and their pages' sizes.
    pub listings: usize,
    /// Calls throttled (any operation).
    pub throttled: usize,
}

#[derive(Clone, Default)]
pub struct Estate {
    pub state: Arc<Mutex<EstateState>>,
    pub quota: Option<Arc<TokenBucket>>,
    pub delay: Duration,
}

/// `n` project ids, names and providers: every third project is under
/// `payments/`, the rest under `search/`; even ones on GitHub.
pub fn projects(n: usize) -> Vec<(String, Project)> {
    (0..n)
        .map(|i| {
            let name = if i % 3 == 0 {
                format!("payments/repo-{i}")
            } else {
                format!("search/repo-{i}")
            };
            let provider = if i % 2 == 0 {
                "GITHUB"
            } else {
                "GITLAB_SELF_MANAGED"
            };
            (super::project(i), Project { name, provider })
        })
        .collect()
}

impl Estate {
    /// `covered` projects covered, and `associated` of them (the first)
    /// associated with `arn`.
    pub fn new(covered: usize, arn: &str, associated: usize) -> Estate {
        let estate = Estate::default();
        {
            let mut st = estate.state.lock().unwrap();
            let all = projects(covered.max(associated));
            st.associations.insert(
                arn.to_string(),
                all.iter()
                    .take(associated)
                    .map(|(id, _)| id.clone())
                    .collect(),
            );
            st.covered = all.into_iter().take(covered).collect();
        }
        estate
    }

    pub fn with_quota(mut self, rate: f64, delay: Duration) -> Estate {
        self.quota = Some(TokenBucket::new(rate, rate));
        self.delay = delay;
        self
    }

    pub async fn serve(&self) -> MockServer {
        let server = MockServer::start().await;
        for (p, op) in [
            (COVERAGE_PATH, Op::Coverage),
            (ASSOCIATIONS_PATH, Op::Associations),
            (START_SCAN_PATH, Op::Start),
            (ASSOCIATE_PATH, Op::Batch("associate")),
            (DISASSOCIATE_PATH, Op::Batch("disassociate")),
        ] {
            Mock::given(method("POST"))
                .and(path(p))
                .respond_with(Responder(self.clone(), op))
                .mount(&server)
                .await;
        }
        server
    }

    /// Distinct scans (client tokens) per project id.
    pub fn scans_per_project(&self) -> HashMap<String, usize> {
        let st = self.state.lock().unwrap();
        let mut n = HashMap::new();
        for (project, _) in st.scans.values() {
            *n.entry(project.clone()).or_default() += 1;
        }
        n
    }

    pub fn associated(&self, arn: &str) -> BTreeSet<String> {
        let st = self.state.lock().unwrap();
        st.associations.get(arn).cloned().unwrap_or_default()
    }

    /// How often each project was sent in `direction`'s batches.
    pub fn sent(&self, direction: &str) -> HashMap<String, usize> {
        let st = self.state.lock().unwrap();
        st.sent
            .iter()
            .filter(|((d, _), _)| *d == direction)
            .map(|((_, id), n)| (id.clone(), *n))
            .collect()
    }

    pub fn listings(&self) -> usize {
        self.state.lock().unwrap().listings
    }

    pub fn calls(&self) -> usize {
        let st = self.state.lock().unwrap();
        st.listings + st.starts.values().sum::<usize>() + st.batch_calls.len()
    }
}

#[derive(Clone, Copy)]
enum Op {
    Coverage,
    Associations,
    Start,
    Batch(&'static str),
}

struct Responder(Estate, Op);

/// The page of `ids` after the cursor `after`, at most `max`.
fn page<'a>(
    ids: impl Iterator<Item = &'a String>,
    after: Option<&str>,
    max: usize,
) -> (Vec<String>, Option<String>) {
    let rest: Vec<String> = ids
        .filter(|id| after.is_none_or(|a| id.as_str() > a))
        .take(max + 1)
        .cloned()
        .collect();
    if rest.len() > max {
        let page = rest[..max].to_vec();
        let next = page.last().cloned();
        (page, next)
    } else {
        (rest, None)
    }
}

fn query(req: &Request, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let estate = &self.0;
        let delay = estate.delay;
        if estate.quota.as_ref().is_some_and(|q| !q.take()) {
            estate.state.lock().unwrap().throttled += 1;
            return aws_error_answer(429, "ThrottlingException").set_delay(delay);
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
        let mut st = estate.state.lock().unwrap();
        let answer = match self.1 {
            Op::Coverage => {
                st.listings += 1;
                let criteria = &body["filterCriteria"];
                assert_eq!(
                    criteria["resourceType"],
                    json!([{"comparison": "EQUALS", "value": "CODE_REPOSITORY"}])
                );
                let provider = criteria["codeRepositoryProviderType"][0]["value"].as_str();
                let max = body["maxResults"].as_u64().unwrap_or(100).min(200) as usize;
                let ids: Vec<&String> = st
                    .covered
                    .iter()
                    .filter(|(_, p)| provider.is_none_or(|t| p.provider == t))
                    .map(|(id, _)| id)
                    .collect();
                let (ids, next) = page(ids.into_iter(), body["nextToken"].as_str(), max);
                let resources: Vec<Value> = ids
                    .iter()
                    .map(|id| {
                        let p = &st.covered[id];
                        json!({"resourceType": "CODE_REPOSITORY", "resourceId": id,
                            "accountId": "123456789012", "scanType": "CODE",
                            "resourceMetadata": {"codeRepository": {
                                "projectName": p.name, "providerType": p.provider,
                                "providerTypeVisibility": "PRIVATE"}}})
                    })
                    .collect();
                let mut out = json!({"coveredResources": resources});
                if let Some(n) = next {
                    out["nextToken"] = n.into();
                }
                out
            }
            Op::Associations => {
                st.listings += 1;
                let arn = body["scanConfigurationArn"]
                    .as_str()
                    .expect("the configuration");
                let max = query(req, "maxResults")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(100usize)
                    .min(100);
                let after = query(req, "nextToken");
                let empty = BTreeSet::new();
                let all = st.associations.get(arn).unwrap_or(&empty);
                let (ids, next) = page(all.iter(), after.as_deref(), max);
                let associations: Vec<Value> = ids
                    .iter()
                    .map(|id| json!({"resource": {"projectId": id}}))
                    .collect();
                let mut out = json!({"associations": associations});
                if let Some(n) = next {
                    out["nextToken"] = n.into();
                }
                out
            }
            Op::Start => {
                let project = body["resource"]["projectId"].as_str().unwrap().to_string();
                let token = body["clientToken"]
                    .as_str()
                    .expect("every sweep's start carries a clientToken")
                    .to_string();
                *st.starts.entry(project.clone()).or_default() += 1;
                let n = st.scans.len();
                let id = st
                    .scans
                    .entry(token)
                    .or_insert_with(|| (project, format!("00000000-0000-4000-8000-{n:012}")))
                    .1
                    .clone();
                json!({"scanId": id, "status": "IN_PROGRESS"})
            }
            Op::Batch(direction) => {
                let items = super::requested_items(req);
                assert!(
                    !items.is_empty() && items.len() <= 25,
                    "service limit broken: {} items",
                    items.len()
                );
                st.batch_calls.push(items.len());
                let mut ok = Vec::new();
                for item in items {
                    let arn = item["scanConfigurationArn"].as_str().unwrap().to_string();
                    let id = item["resource"]["projectId"].as_str().unwrap().to_string();
                    *st.sent.entry((direction, id.clone())).or_default() += 1;
                    let set = st.associations.entry(arn).or_default();
                    if direction == "associate" {
                        set.insert(id);
                    } else {
                        set.remove(&id);
                    }
                    ok.push(item);
                }
                json!({"successfulAssociations": ok, "failedAssociations": []})
            }
        };
        ResponseTemplate::new(200)
            .set_delay(delay)
            .set_body_json(answer)
    }
}
